import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/log.js';
import { runLocal } from './exec.js';

/**
 * The sandbox's SSH identity (one key pair, authorised for root and eectl on every host) and the hosts'
 * real host keys in the cluster's known_hosts, so eectl connects with strict host key checking.
 */

/** Makes `<dir>/id_ed25519` (0600) and `.pub`; returns the private key path and the public key line. */
export async function generateKeyPair(
  dir: string,
  comment: string,
  logger: Logger,
): Promise<{ keyPath: string; publicKey: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'id_ed25519');
  await rm(keyPath, { force: true });
  await rm(`${keyPath}.pub`, { force: true });
  await runLocal('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', keyPath], {
    logger,
    missing: {
      message: 'ssh-keygen is not installed: the sandbox makes its SSH key pair with it',
      suggestions: ['apt-get install openssh-client'],
    },
  });
  await chmod(keyPath, 0o600);
  await chmod(`${keyPath}.pub`, 0o600);
  return { keyPath, publicKey: (await readFile(`${keyPath}.pub`, 'utf8')).trim() };
}

/** known_hosts lines for one host from the contents of its `/etc/ssh/ssh_host_*_key.pub` files. */
export function knownHostsLines(address: string, publicKeyFiles: string): string[] {
  return publicKeyFiles
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([type, key]) => type !== undefined && /^(ssh-|ecdsa-)/.test(type) && key !== undefined)
    .map(([type, key]) => `${address} ${type} ${key}`);
}

/** The file's text with every line for `addresses` replaced by `lines` (other entries are kept). */
export function replaceKnownHosts(
  existing: string,
  addresses: readonly string[],
  lines: readonly string[],
): string {
  const names = new Set(addresses);
  const kept = existing.split('\n').filter((line) => {
    const hostsField = line.trim().split(/\s+/)[0] ?? '';
    return line.trim() !== '' && !hostsField.split(',').some((h) => names.has(h));
  });
  const all = [...kept, ...lines];
  return all.length === 0 ? '' : `${all.join('\n')}\n`;
}

/** Writes the hosts' keys into the known_hosts file (0600), replacing older entries for those addresses. */
export async function recordHostKeys(file: string, addresses: string[], lines: string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
  await writeFile(file, replaceKnownHosts(existing, addresses, lines), { mode: 0o600 });
}

/** Removes the hosts' entries; the file, and the cluster directory, go when nothing else is left in them. */
export async function forgetHostKeys(file: string, addresses: string[]): Promise<void> {
  if (!existsSync(file)) return;
  const rest = replaceKnownHosts(await readFile(file, 'utf8'), addresses, []);
  if (rest === '') {
    await rm(file, { force: true });
    await rmdir(dirname(file)).catch(() => undefined);
  } else {
    await writeFile(file, rest, { mode: 0o600 });
  }
}
