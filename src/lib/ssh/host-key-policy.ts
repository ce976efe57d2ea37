import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  hostToken,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';

/** How host keys are checked: which files are trusted, and what the user allowed for keys never seen. */
export interface HostKeyPolicy {
  /** The user's own files (default `~/.ssh/known_hosts`): read, never written. */
  userKnownHostsPaths: string[];
  /** The cluster's file (`~/.eectl/<cluster>/known_hosts`): read, and where accepted keys are recorded. */
  clusterKnownHostsPath: string;
  /** `--accept-new-host-keys`: record keys never seen before without asking. */
  acceptNewHostKeys: boolean;
  /** A terminal's "yes": asked for each key never seen before when acceptNewHostKeys is false. */
  confirmHostKey?: (host: string, fingerprint: string) => Promise<boolean>;
}

/** Parsed files by path, kept while the file's size and mtime stay the same. */
const parsed = new Map<string, { stamp: string; entries: KnownHostEntry[] }>();
/** The last combined list per set of files, so lookups can reuse its index (known-hosts.ts). */
const combined = new Map<string, { stamp: string; entries: KnownHostEntry[] }>();

/**
 * Reads every known_hosts file of the policy; a missing file holds no entries. Every connection asks, so
 * a file is parsed again only when it changed (its size or mtime), not once per host.
 */
export function loadKnownHosts(policy: HostKeyPolicy): KnownHostEntry[] {
  const files = [...policy.userKnownHostsPaths, policy.clusterKnownHostsPath];
  const stamps: string[] = [];
  const lists: KnownHostEntry[][] = [];
  for (const file of files) {
    let stamp: string;
    try {
      const s = statSync(file);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        stamps.push('-');
        continue;
      }
      throw error;
    }
    let cached = parsed.get(file);
    if (cached?.stamp !== stamp) {
      cached = { stamp, entries: parseKnownHosts(readFileSync(file, 'utf8'), file) };
      parsed.set(file, cached);
    }
    stamps.push(stamp);
    lists.push(cached.entries);
  }
  const key = files.join('\0');
  const stamp = stamps.join('\0');
  const hit = combined.get(key);
  if (hit?.stamp === stamp) return hit.entries;
  const entries = lists.flat();
  combined.set(key, { stamp, entries });
  return entries;
}

// Host key algorithms ssh2 can verify; known_hosts may hold others (sk-*, certificates) that it cannot.
const SUPPORTED_HOST_KEY_ALGORITHMS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]);

/**
 * Host key algorithms to ask for first: the types already recorded for the host, so a server with
 * several keys presents the one we know (as OpenSSH orders them) rather than one that looks new.
 */
export function preferredHostKeyAlgorithms(policy: HostKeyPolicy, hostname: string, port: number): string[] {
  const types = knownKeyTypes(loadKnownHosts(policy), hostToken(hostname, port));
  return types
    .flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
    .filter((a) => SUPPORTED_HOST_KEY_ALGORITHMS.has(a));
}

// Terminal confirmations are asked one at a time even when many hosts connect at once.
let confirmations: Promise<unknown> = Promise.resolve();

/**
 * Checks the key a server presented; resolves when it may be trusted (recording a newly accepted key in
 * the cluster's file), throws EHOSTKEY_* otherwise. `label` is the host as the user named it.
 */
export async function verifyHostKey(
  policy: HostKeyPolicy,
  target: { label: string; hostname: string; port: number },
  key: Buffer,
  log: Logger,
): Promise<void> {
  const token = hostToken(target.hostname, target.port);
  const fingerprint = fingerprintSha256(key);
  const verdict = checkHostKey(loadKnownHosts(policy), token, key);
  switch (verdict.kind) {
    case 'known':
      log.debug(`host key ${fingerprint} matches ${verdict.entry.file}:${verdict.entry.line}`);
      return;
    case 'revoked':
      throw new EectlError(
        `${target.label}: the host key ${fingerprint} presented by ${token} is marked @revoked in ` +
          `${verdict.entry.file}:${verdict.entry.line}; refusing to connect`,
        {
          code: 'EHOSTKEY_REVOKED',
          kind: 'user',
          host: target.label,
          suggestions: [`Find out why the key was revoked before giving ${token} a new host key.`],
        },
      );
    case 'changed':
      throw new EectlError(
        `${target.label}: the host key of ${token} has CHANGED (now ${fingerprint}). Someone could be ` +
          `eavesdropping, or the host was reinstalled. Offending key in ${verdict.entry.file}:${verdict.entry.line}`,
        {
          code: 'EHOSTKEY_CHANGED',
          kind: 'user',
          host: target.label,
          suggestions: [
            `Check with the host's owner that ${fingerprint} is its new key, then remove line ` +
              `${verdict.entry.line} of ${verdict.entry.file} (ssh-keygen -R '${token}' -f ${verdict.entry.file}) and run again.`,
          ],
        },
      );
    case 'unknown':
      if (!(await acceptNewKey(policy, target.label, token, fingerprint))) {
        throw new EectlError(
          `${target.label}: the host key of ${token} is not known (${fingerprint}); refusing to connect`,
          {
            code: 'EHOSTKEY_UNKNOWN',
            kind: 'user',
            host: target.label,
            suggestions: [
              `Check that ${fingerprint} is the host's key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), ` +
                'then run again with --accept-new-host-keys or answer yes on a terminal.',
            ],
          },
        );
      }
      recordHostKey(policy.clusterKnownHostsPath, token, key);
      log.info(`accepted new host key ${fingerprint}, recorded in ${policy.clusterKnownHostsPath}`);
  }
}

async function acceptNewKey(
  policy: HostKeyPolicy,
  label: string,
  token: string,
  fingerprint: string,
): Promise<boolean> {
  if (policy.acceptNewHostKeys) return true;
  const confirm = policy.confirmHostKey;
  if (!confirm) return false;
  const answer = confirmations.then(() =>
    confirm(label === token ? token : `${label} (${token})`, fingerprint),
  );
  confirmations = answer.catch(() => undefined);
  return answer;
}

function recordHostKey(file: string, token: string, key: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // One append per line: O_APPEND keeps concurrent recordings from interleaving.
  appendFileSync(file, `${formatKnownHostsLine(token, key)}\n`, { mode: 0o600 });
}
