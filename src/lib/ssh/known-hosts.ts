import { createHash, createHmac } from 'node:crypto';
import { oncePer } from '../util/once-per.js';

/** One key line of a known_hosts file, with where it came from (for "remove FILE:LINE" messages). */
export interface KnownHostEntry {
  file: string;
  line: number;
  /** `@revoked` refuses the key for the hosts it names; `@cert-authority` lines are kept but never match. */
  marker: '@revoked' | '@cert-authority' | undefined;
  /** The host field as written: a comma-separated pattern list, or one `|1|salt|hash` hashed name. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** What a known_hosts file set says about a presented key. */
export type HostKeyVerdict =
  | { kind: 'known'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry }
  | { kind: 'changed'; entry: KnownHostEntry }
  | { kind: 'unknown' };

/** Parses known_hosts text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0];
      fields.shift();
    } else if (fields[0].startsWith('@')) {
      return;
    }
    const [hosts, keyType, keyBase64] = fields;
    if (hosts === undefined || keyType === undefined || keyBase64 === undefined) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0 || keyTypeOf(key) !== keyType) return;
    entries.push({ file, line: index + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise (as OpenSSH writes it). */
export function hostToken(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

/** Whether an entry's host field names this host (hashed names, wildcards, negations, lists). */
export function entryMatchesHost(entry: KnownHostEntry, token: string): boolean {
  if (entry.hosts.startsWith('|1|')) return hashedNameMatches(entry.hosts, token);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    if (pattern.startsWith('!')) {
      // A matching negation excludes the host whatever else in the list matches.
      if (wildcardMatches(pattern.slice(1), token)) return false;
    } else if (wildcardMatches(pattern, token)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * Decides about a presented key: revoked beats known, known beats changed, else unknown. Any key on record
 * for the host makes every other key a changed one, whatever its type: otherwise an attacker who offers a
 * type never recorded (ECDSA for a host known by ed25519) would pass as a new host.
 */
export function checkHostKey(entries: KnownHostEntry[], token: string, key: Buffer): HostKeyVerdict {
  const named = entriesNaming(entries, token);
  const revoked = named.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const forHost = named.filter((e) => e.marker === undefined);
  const known = forHost.find((e) => e.key.equals(key));
  if (known) return { kind: 'known', entry: known };
  // The entry of the same type names the line to remove when there is one; any other entry otherwise.
  const changed = forHost.find((e) => e.keyType === keyTypeOf(key)) ?? forHost[0];
  if (changed) return { kind: 'changed', entry: changed };
  return { kind: 'unknown' };
}

/** Key types recorded for a host, in file order: the server is asked for these first. */
export function knownKeyTypes(entries: KnownHostEntry[], token: string): string[] {
  const types = entriesNaming(entries, token)
    .filter((e) => e.marker === undefined)
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** Entries by plain host name, and the rest (hashed, wildcard, negated) that must be matched one by one. */
interface EntryIndex {
  byName: Map<string, KnownHostEntry[]>;
  patterns: KnownHostEntry[];
  position: Map<KnownHostEntry, number>;
}

/** The index of an entry list, built once per list. */
const indexOf = oncePer((entries: KnownHostEntry[]): EntryIndex => {
  const index: EntryIndex = { byName: new Map(), patterns: [], position: new Map() };
  for (const [i, e] of entries.entries()) {
    index.position.set(e, i);
    if (e.hosts.startsWith('|1|') || /[*?!]/.test(e.hosts)) {
      index.patterns.push(e);
      continue;
    }
    for (const name of new Set(e.hosts.toLowerCase().split(','))) {
      const list = index.byName.get(name) ?? [];
      list.push(e);
      index.byName.set(name, list);
    }
  }
  return index;
});

/**
 * The entries that name `token`, in file order. A cluster's file has a line per host and every host is
 * looked up at connect: matching each line's patterns would make connecting N hosts cost N² matches, so
 * plain names are looked up in an index built once per entry list.
 */
function entriesNaming(entries: KnownHostEntry[], token: string): KnownHostEntry[] {
  const index = indexOf(entries);
  const named = [
    ...(index.byName.get(token.toLowerCase()) ?? []),
    ...index.patterns.filter((e) => entryMatchesHost(e, token)),
  ];
  const at = index.position;
  return named.sort((a, b) => at.get(a)! - at.get(b)!);
}

/** OpenSSH's fingerprint format: `SHA256:` and the unpadded base64 of the key blob's SHA-256. */
export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  if (length > key.length - 4) return '';
  return key.subarray(4, 4 + length).toString('latin1');
}

/** A known_hosts line for a host and key, unhashed so an operator can read which host it is. */
export function formatKnownHostsLine(token: string, key: Buffer): string {
  return `${token} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

function hashedNameMatches(field: string, token: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64');
  return digest === hash;
}

function wildcardMatches(pattern: string, text: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  // Host names compare case-insensitively in OpenSSH's match_hostname().
  return new RegExp(`^${source}$`, 'i').test(text);
}
