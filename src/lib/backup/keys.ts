import { readFile } from 'node:fs/promises';
import { AGE_RECIPIENT } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { addSecret } from '../util/redact.js';

/** The environment variable a passphrase comes from (never a flag: argv is visible to every user). */
export const PASSPHRASE_ENV = 'EECTL_BACKUP_PASSPHRASE';

/** How an archive is encrypted: to age recipients (no secret needed to write it), or with a passphrase. */
export type EncryptionKeys = { recipients: string[] } | { passphrase: string };

/** How an archive is opened: age identities (`AGE-SECRET-KEY-1…`), or the passphrase. */
export type DecryptionKeys = { identities: string[] } | { passphrase: string };

/** Checks age public keys (`age1…`, as `age-keygen` prints them) before anything is read or stopped. */
export function checkRecipients(recipients: readonly string[], where: string): string[] {
  for (const r of recipients) {
    if (!AGE_RECIPIENT.test(r)) {
      throw new UsageError(`${where}: "${r}" is not an age public key (age1… , 62 characters)`, {
        code: 'EBACKUP_RECIPIENT',
        suggestions: [
          'Make a key pair with `age-keygen -o key.txt`; its "public key:" line is the recipient.',
        ],
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

/** Where keys can come from, as the command sees them. */
export interface KeySources {
  env: NodeJS.ProcessEnv;
  /** A terminal to ask on (not --json, not CI). */
  interactive: boolean;
  ask: (question: string) => Promise<string>;
}

/** Recipients when any are given (flags, then the file's backup.recipients), else the passphrase. */
export async function encryptionKeys(recipients: string[], sources: KeySources): Promise<EncryptionKeys> {
  if (recipients.length > 0) return { recipients };
  const passphrase = await passphraseFrom(sources, true);
  return { passphrase };
}

/** The identities of --identity FILE, else the passphrase. */
export async function decryptionKeys(
  identityFile: string | undefined,
  sources: KeySources,
): Promise<DecryptionKeys> {
  if (identityFile !== undefined) return { identities: await readIdentityFile(identityFile) };
  return { passphrase: await passphraseFrom(sources, false) };
}

async function passphraseFrom(sources: KeySources, confirm: boolean): Promise<string> {
  const fromEnv = sources.env[PASSPHRASE_ENV];
  if (fromEnv) {
    addSecret(fromEnv);
    return fromEnv;
  }
  if (!sources.interactive) {
    throw new UsageError(
      `no key for the archive: no --recipient, no backup.recipients and no ${PASSPHRASE_ENV}`,
      {
        code: 'EBACKUP_NO_KEY',
        suggestions: [
          `Set ${PASSPHRASE_ENV}, or encrypt to an age public key: --recipient age1… (or backup.recipients in the file).`,
          'Archives made for recipients open with --identity FILE (the file age-keygen wrote).',
        ],
      },
    );
  }
  const first = await sources.ask('Backup passphrase:');
  addSecret(first);
  if (first.length === 0) throw new UsageError('the passphrase is empty', { code: 'EBACKUP_NO_KEY' });
  if (confirm && (await sources.ask('The same passphrase again:')) !== first) {
    throw new UsageError('the two passphrases differ; nothing was changed', { code: 'EBACKUP_NO_KEY' });
  }
  return first;
}
