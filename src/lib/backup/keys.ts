import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { addSecret } from '../ui/redact.js';

/** The environment variable a passphrase comes from (never a flag: argv is visible to every user). */
export const PASSPHRASE_ENV = 'EECTL_BACKUP_PASSPHRASE';

/** How an archive is encrypted: to age recipients (no secret needed to write it), or with a passphrase. */
export type EncryptionKeys = { recipients: string[] } | { passphrase: string };

/** How an archive is opened: age identities (`AGE-SECRET-KEY-1…`), or the passphrase. */
export type DecryptionKeys = { identities: string[] } | { passphrase: string };

const RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** Checks age public keys (`age1…`, as `age-keygen` prints them) before anything is read or stopped. */
export function checkRecipients(recipients: readonly string[], where: string): string[] {
  for (const r of recipients) {
    if (!RECIPIENT.test(r)) {
      throw new UsageError(`${where}: "${r}" is not an age public key (age1… , 62 characters)`, {
        code: 'EBACKUP_RECIPIENT',
        suggestions: ['Make a key pair with `age-keygen -o key.txt`; its "public key:" line is the recipient.'],
      });
    }
  }
  return [...recipients];
}

/**
 * Reads an age identity file as `age-keygen` writes it: comment lines, then one `AGE-SECRET-KEY-1…` per line.
 * Every identity is registered as a secret, so no log line or error can show it.
 */
export async function readIdentityFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--identity ${path}: ${(error as Error).message}`, { code: 'EBACKUP_IDENTITY' });
  }
  const identities = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const id of identities) addSecret(id);
  if (identities.length === 0 || identities.some((id) => !id.startsWith('AGE-SECRET-KEY-1'))) {
    throw new UsageError(`--identity ${path}: not an age identity file (AGE-SECRET-KEY-1… lines)`, {
      code: 'EBACKUP_IDENTITY',
      suggestions: ['Pass the file `age-keygen -o` wrote, whose public key the backup was encrypted to.'],
    });
  }
  return identities;
}
