import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { EectlError, ExitCode } from '../errors.js';
import { redact, secretsLeftIn } from '../util/redact.js';
import { writeFileAtomically } from '../util/exclusive-file.js';
import type { DumpEntry } from './layout.js';

/**
 * Every entry through the redactor (every secret registered this run, raw and in each encoding `forms`
 * lists, join tokens and private keys by their shape), then scanned: an entry in which any of them is
 * still found stops the dump with an internal error before anything is written.
 */
export function redactEntries(entries: readonly DumpEntry[]): DumpEntry[] {
  return entries.map((entry) => {
    // Removing one form can join the text around it into another: redact until nothing changes.
    let text = entry.text;
    for (let round = 0; round < 4; round++) {
      const next = redact(text);
      if (next === text) break;
      text = next;
    }
    const left = secretsLeftIn(text);
    if (left.length > 0) {
      throw new EectlError(`support dump: ${entry.name} still holds ${left.join(', ')} after redaction`, {
        code: 'EDUMP_SECRET',
        kind: 'bug',
        exitCode: ExitCode.failure,
        suggestions: ['Nothing was written. This is a bug in eectl: please report it without the dump.'],
      });
    }
    return { name: entry.name, text };
  });
}

/**
 * Packs the (already redacted) entries under `top/` into a gzipped tar and writes it to `path` with mode
 * 0600, through a temporary sibling renamed into place. Returns its size in bytes.
 */
export async function writeDumpArchive(
  path: string,
  top: string,
  entries: readonly DumpEntry[],
): Promise<number> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const mtime = new Date();
  for (const entry of entries) {
    const body = Buffer.from(entry.text, 'utf8');
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: `${top}/${entry.name}`, mode: 0o600, size: body.length, mtime }, body, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }
  pack.finalize();
  await ended;
  const gz = gzipSync(Buffer.concat(chunks));
  await writeFileAtomically(path, gz, 0o600);
  return gz.length;
}
