import { readFileSync } from 'node:fs';

const ARMORED_PUBLIC_KEY =
  /^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n[\s\S]+\r?\n-----END PGP PUBLIC KEY BLOCK-----\s*$/;

// Keys read when the file was loaded, by resolved path: what was checked is what goes to the hosts.
const loaded = new Map<string, string>();

/**
 * Reads and checks engine.repoKey (at load time): an ASCII-armored OpenPGP public key, the form apt's
 * `signed-by`, rpm and zypper all take. Returns why it is not one, or undefined when it is.
 */
export function loadRepoKey(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code);
    return `cannot read ${path}: ${reason}`;
  }
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(text)) {
    return `${path} holds a PRIVATE key: give the public key only (gpg --armor --export KEYID)`;
  }
  if (!ARMORED_PUBLIC_KEY.test(text)) {
    return `${path} is not an ASCII-armored OpenPGP public key (export it with gpg --armor --export KEYID)`;
  }
  loaded.set(path, `${text.trim()}\n`);
  return undefined;
}

/** The key's text as it was loaded (read now when the config did not come through the loader). */
export function repoKeyText(path: string): string {
  if (!loaded.has(path)) {
    const problem = loadRepoKey(path);
    if (problem) throw new Error(`engine.repoKey: ${problem}`);
  }
  return loaded.get(path)!;
}
