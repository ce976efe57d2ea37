import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';
import { runLocal } from './exec.js';

/**
 * The sandbox signs its mirror as a real site should: one OpenPGP key, made once and kept in the cache,
 * signs the repository's Release file (InRelease and Release.gpg), and the sandbox's cluster file names
 * the public key as engine.repoKey, so installs into sandboxes take the signed path (apt `signed-by`).
 */

const GPG_MISSING = {
  message: 'gpg is not installed: the sandbox signs its package mirror with it',
  suggestions: ['apt-get install gnupg'],
};

/** The public key hosts check the mirror with (the file the sandbox cluster.yaml names). */
export const mirrorKeyPath = (cacheDir: string): string => join(cacheDir, 'mirror-key.asc');
const gnupgHome = (cacheDir: string): string => join(cacheDir, 'mirror-gnupg');

/** Makes the signing key when the cache has none; returns the public key's path. */
export async function ensureMirrorKey(cacheDir: string, logger: Logger): Promise<string> {
  const publicKey = mirrorKeyPath(cacheDir);
  const home = gnupgHome(cacheDir);
  if (existsSync(publicKey) && existsSync(join(home, 'pubring.kbx'))) return publicKey;
  await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true, mode: 0o700 });
  const gpg = (args: string[]) =>
    runLocal('gpg', ['--homedir', home, '--batch', ...args], { logger, missing: GPG_MISSING });
  // No passphrase: the key only ever signs a throwaway repository on this machine.
  await gpg(['--passphrase', '', '--quick-generate-key', 'eectl sandbox mirror', 'ed25519', 'sign', 'never']);
  const { stdout } = await gpg(['--armor', '--export']);
  await writeFile(`${publicKey}.tmp`, stdout.endsWith('\n') ? stdout : `${stdout}\n`, { mode: 0o644 });
  await rename(`${publicKey}.tmp`, publicKey);
  return publicKey;
}

/**
 * Signs `<suiteDir>/Release` (InRelease clear-signed, Release.gpg detached) unless the signatures on
 * disk are already for this Release and this key.
 */
export async function signRelease(cacheDir: string, suiteDir: string, logger: Logger): Promise<void> {
  const release = join(suiteDir, 'Release');
  const stamp = join(suiteDir, '.eectl-signed');
  const key = await readFile(mirrorKeyPath(cacheDir));
  const wanted = createHash('sha256')
    .update(await readFile(release))
    .update(key)
    .digest('hex');
  const signed =
    existsSync(join(suiteDir, 'InRelease')) &&
    existsSync(join(suiteDir, 'Release.gpg')) &&
    (await readFile(stamp, 'utf8').catch(() => '')) === wanted;
  if (signed) return;
  const gpg = (args: string[]) =>
    runLocal('gpg', ['--homedir', gnupgHome(cacheDir), '--batch', '--yes', ...args], {
      logger,
      missing: GPG_MISSING,
    });
  // Written beside and renamed, so a host running apt-get update meanwhile never reads half a signature.
  await gpg(['--clearsign', '--digest-algo', 'SHA256', '-o', join(suiteDir, 'InRelease.tmp'), release]);
  await gpg(['--detach-sign', '--armor', '-o', join(suiteDir, 'Release.gpg.tmp'), release]);
  await rename(join(suiteDir, 'InRelease.tmp'), join(suiteDir, 'InRelease'));
  await rename(join(suiteDir, 'Release.gpg.tmp'), join(suiteDir, 'Release.gpg'));
  await writeFile(stamp, wanted);
}
