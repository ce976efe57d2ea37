import type { NamedObject, ManifestService, SwarmInventory } from '../swarm/inventory.js';
/**
 * What a backup archive holds, as its `manifest.json` says (the last entry of the tar): the cluster it was
 * taken from and a SHA-256 per entry. The format is documented in the README so the data can be had without
 * eectl: `age -d` and `tar` open the archive, `sha256sum` checks each file.
 */

/**
 * The format version; a reader refuses archives of a newer one. 2: the manifest is signed (manifest.sig,
 * see signature.ts), which an eectl that reads format 1 only would take for an entry not in the manifest.
 */
export const MANIFEST_FORMAT = 2;

/** The manifest's own name in the archive. */
export const MANIFEST_ENTRY = 'manifest.json';

/** The manifest's signature, the entry after it (see signature.ts). */
export const SIGNATURE_ENTRY = 'manifest.sig';

export interface ManifestNode {
  hostname: string;
  address: string;
  role: 'manager' | 'worker';
  engineVersion: string;
  id: string;
}

/**
 * What a restore writes of an entry besides its bytes: permission bits, owner and group, as the host's
 * `tar -x --same-owner -p` applies them. In the manifest, so the signature covers them: the restore writes
 * these values, never the tar header's (which anyone who re-encrypts the archive could change).
 */
export interface EntryAttributes {
  /** Permission bits (no setuid, setgid: refused). */
  mode: number;
  uid: number;
  gid: number;
}

/** One file of the archive, with its checksum (format 2: and its attributes). */
export interface ManifestEntry extends Partial<EntryAttributes> {
  name: string;
  size: number;
  sha256: string;
}

/** One directory of the archive (format 2). */
export interface ManifestDirectory extends EntryAttributes {
  name: string;
}

export interface Manifest {
  format: number;
  eectlVersion: string;
  cluster: string;
  createdAt: string;
  swarmId: string;
  /** The manager the swarm state was copied from (its address and node ID). */
  source: { address: string; nodeId: string; hostname: string };
  /** Whether the swarm is autolocked (the unlock key is then in the archive). */
  autolock: boolean;
  /** Whether the registry's storage is in the archive; otherwise it is left to the storage's own snapshots. */
  registryData: boolean;
  nodes: ManifestNode[];
  services: ManifestService[];
  secrets: NamedObject[];
  configs: NamedObject[];
  networks: NamedObject[];
  entries: ManifestEntry[];
  /** Format 2: every directory of the archive, with its attributes. */
  directories?: ManifestDirectory[];
}

/** One way a restored cluster differs from its backup. */
export interface InventoryDifference {
  kind: 'service' | 'secret' | 'config' | 'network';
  name: string;
  problem: string;
}

/**
 * What differs between the backed-up swarm and the restored one: every object must be back under the same
 * name and ID, and every service with its mode, replica count, secrets, configs and networks. Objects that
 * exist only in the restored swarm are not differences (a restore may run more than the backup had, such as
 * networks the engine makes itself).
 */
export function diffInventory(expected: SwarmInventory, actual: SwarmInventory): InventoryDifference[] {
  const differences: InventoryDifference[] = [];
  const simple = [
    ['secret', expected.secrets, actual.secrets],
    ['config', expected.configs, actual.configs],
    ['network', expected.networks, actual.networks],
  ] as const;
  for (const [kind, want, have] of simple) {
    for (const object of want) {
      const found = have.find((h) => h.name === object.name);
      if (!found) differences.push({ kind, name: object.name, problem: 'missing' });
      else if (found.id !== object.id)
        differences.push({ kind, name: object.name, problem: `ID ${found.id} instead of ${object.id}` });
    }
  }
  for (const service of expected.services) {
    const found = actual.services.find((s) => s.name === service.name);
    if (!found) {
      differences.push({ kind: 'service', name: service.name, problem: 'missing' });
      continue;
    }
    const problems: string[] = [];
    if (found.id !== service.id) problems.push(`ID ${found.id} instead of ${service.id}`);
    if (found.mode !== service.mode) problems.push(`mode ${found.mode} instead of ${service.mode}`);
    if (service.mode === 'replicated' && found.replicas !== service.replicas)
      problems.push(`${found.replicas ?? 0} replicas instead of ${service.replicas ?? 0}`);
    for (const [what, want, have] of [
      ['secret', service.secrets, found.secrets],
      ['config', service.configs, found.configs],
      ['network', service.networks, found.networks],
    ] as const) {
      const missing = want.filter((w) => !have.includes(w));
      if (missing.length > 0)
        problems.push(`${what}${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not attached`);
    }
    for (const problem of problems) differences.push({ kind: 'service', name: service.name, problem });
  }
  return differences;
}

/** "service web: 1 replicas instead of 3" */
export function describeDifference(d: InventoryDifference): string {
  return `${d.kind} ${d.name}: ${d.problem}`;
}

/** The manifest's problems as a reader sees them, or an empty list when it can be used. */
export function manifestProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['the manifest is not a JSON object'];
  const m = value as Partial<Manifest>;
  const problems: string[] = [];
  if (typeof m.format !== 'number') problems.push('no format number');
  else if (m.format > MANIFEST_FORMAT)
    problems.push(`format ${m.format} is newer than this eectl reads (${MANIFEST_FORMAT}): upgrade eectl`);
  for (const key of ['cluster', 'swarmId', 'createdAt', 'eectlVersion'] as const)
    if (typeof m[key] !== 'string') problems.push(`no ${key}`);
  for (const key of ['nodes', 'services', 'secrets', 'configs', 'networks', 'entries'] as const)
    if (!Array.isArray(m[key])) problems.push(`no ${key} list`);
  if (typeof m.source?.address !== 'string') problems.push('no source manager');
  if (typeof m.format === 'number' && m.format >= 2 && problems.length === 0) {
    if (!Array.isArray(m.directories)) problems.push('no directories list');
    const listed = [...(m.entries ?? []), ...(m.directories ?? [])] as Partial<EntryAttributes>[];
    if (!listed.every(hasAttributes)) problems.push('an entry without its mode, owner and group');
  }
  return problems;
}

const isId = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;

function hasAttributes(e: Partial<EntryAttributes>): boolean {
  return isId(e.mode) && (e.mode ?? 0) <= 0o7777 && isId(e.uid) && isId(e.gid);
}

/** The attributes of a tar header, as a manifest lists them (permission bits only). */
export function attributesOf(header: { mode?: number; uid?: number; gid?: number }): EntryAttributes {
  return { mode: (header.mode ?? 0o644) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0 };
}

/** How an entry's header differs from the attributes the manifest lists, or undefined. */
export function attributesDiffer(
  header: { mode?: number; uid?: number; gid?: number },
  listed: Partial<EntryAttributes>,
): string | undefined {
  if (listed.mode === undefined) return undefined; // format 1: the manifest lists none
  const found = attributesOf(header);
  const diffs: string[] = [];
  if (found.mode !== listed.mode)
    diffs.push(`mode ${found.mode.toString(8)}, the manifest says ${listed.mode.toString(8)}`);
  if (found.uid !== listed.uid || found.gid !== listed.gid)
    diffs.push(`owner ${found.uid}:${found.gid}, the manifest says ${listed.uid}:${listed.gid}`);
  return diffs.length > 0 ? diffs.join(', ') : undefined;
}
