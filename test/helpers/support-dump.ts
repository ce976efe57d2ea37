import { gunzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import tarStream from 'tar-stream';

/** The entries of a support dump (a .tar.gz), by name, with their text and mode. */
export async function readDump(path: string): Promise<Map<string, { text: string; mode: number }>> {
  const tar = gunzipSync(await readFile(path));
  const extract = tarStream.extract();
  const entries = new Map<string, { text: string; mode: number }>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.set(header.name, { text: Buffer.concat(chunks).toString('utf8'), mode: header.mode ?? 0 });
      next();
    });
  });
  extract.end(tar);
  await done;
  return entries;
}

/**
 * Every form a secret could take in a dump, found independently of the redactor: itself, its long lines,
 * hex, and its base64 and base64url at each of the three byte offsets (the characters that depend on the
 * secret's bytes alone), so a secret base64-encoded inside a larger text is found wherever it sits.
 */
export function leakForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  for (const line of secret.split('\n'))
    if (line.trim().length >= 16 && !line.startsWith('-----')) forms.add(line.trim());
  const bytes = Buffer.from(secret);
  forms.add(bytes.toString('hex'));
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.concat([Buffer.alloc(offset, 0x20), bytes]).toString('base64');
    const first = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const run = b64.slice(first, end);
    forms.add(run);
    forms.add(run.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((f) => f.length >= 8);
}

/** Which of `secrets` (by name) appear in which entry, in any of `leakForms`. */
export function leaks(
  entries: ReadonlyMap<string, { text: string }>,
  secrets: Record<string, string>,
): string[] {
  const hits: string[] = [];
  for (const [what, value] of Object.entries(secrets))
    for (const form of leakForms(value))
      for (const [name, { text }] of entries) if (text.includes(form)) hits.push(`${what} in ${name}`);
  return [...new Set(hits)];
}
