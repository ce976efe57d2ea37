import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { eectlHome } from '../util/log.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Where this machine's ID is kept. */
export const machineIdPath = (): string => join(eectlHome(), 'machine-id');

/**
 * A random ID for this machine, made once and kept under ~/.eectl (EECTL_HOME). Hostnames are not unique
 * (two laptops called `laptop`, CI runners from one image): a lock judged by hostname would let one
 * machine break another's live lock. Two runs making it at once agree: the file is created exclusively,
 * and the loser reads the winner's.
 */
export function machineId(): string {
  const path = machineIdPath();
  const read = (): string | undefined => {
    try {
      const text = readFileSync(path, 'utf8').trim();
      return UUID.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = read();
  if (existing) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const id = randomUUID();
  try {
    writeFileSync(path, `${id}\n`, { flag: 'wx', mode: 0o600 });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Another run created it at the same moment, or it holds something that is not an ID: replace that.
  const raced = read();
  if (raced) return raced;
  writeFileSync(path, `${id}\n`, { mode: 0o600 });
  return id;
}
