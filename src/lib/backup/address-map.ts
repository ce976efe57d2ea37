import { isIP } from 'node:net';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import type { Manifest } from './manifest.js';

/** One `--map OLD=NEW`: an old manager's address and a manager of the file (its name or address). */
export interface ManagerMap {
  old: string;
  new: string;
}

/** The part of a host the mapping needs. */
export interface MappableHost {
  name: string;
  advertiseAddress: string;
  isManager: boolean;
}

/** Which manager of the file gets the swarm state, and what the plan shows. */
export interface ManagerMapping<H extends MappableHost> {
  /** The manager that gets the swarm state of the archive's source manager. */
  target: H;
  /** The target advertises another address than the one the state was copied from. */
  moved: boolean;
  /**
   * With `moved`: the host that holds the Raft quorum while the target's old identity is handed off — another
   * manager of the file, or else a worker made a manager for the hand-off only (`temporary`).
   */
  helper?: { host: H; temporary: boolean };
  /** Old manager → new manager, the source first; `undefined` on either side when there is none. */
  pairs: { old?: { hostname: string; address: string }; new?: H; source: boolean }[];
}

/** Reads `--map` values (`OLD=NEW`, OLD an IP address): syntax only, before any host is reached. */
export function parseManagerMaps(values: readonly string[]): ManagerMap[] {
  const maps: ManagerMap[] = [];
  for (const value of values) {
    const eq = value.indexOf('=');
    const old = eq < 0 ? '' : value.slice(0, eq);
    const target = eq < 0 ? '' : value.slice(eq + 1);
    if (isIP(old) === 0 || !/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$/.test(target)) {
      throw new UsageError(
        `--map ${JSON.stringify(value)}: expected OLD=NEW, OLD an old manager's IP address`,
        {
          code: 'ERESTORE_MAP',
          suggestions: [
            'NEW is a manager of the cluster file, by its name or its address: --map 10.0.1.11=10.0.9.21',
            '`eectl restore FILE --dry-run` shows the old managers and the mapping it would take.',
          ],
        },
      );
    }
    if (maps.some((m) => m.old === old)) {
      throw new UsageError(`--map: ${old} is mapped twice`, { code: 'ERESTORE_MAP' });
    }
    maps.push({ old, new: target });
  }
  return maps;
}

/**
 * Decides which manager of the file gets the swarm state. In order: the manager `--map` names for the
 * source's address; the manager that advertises the source's address (the state goes back where it was);
 * the first manager of the file that no `--map` names. Every `--map` must name an old manager of the
 * archive and a manager of the file, one to one. Nothing here reaches a host.
 */
export function mapManagers<H extends MappableHost>(
  manifest: Manifest,
  hosts: readonly H[],
  maps: readonly ManagerMap[],
  archive: string,
): ManagerMapping<H> {
  const managers = hosts.filter((h) => h.isManager);
  const oldManagers = [
    { hostname: manifest.source.hostname, address: manifest.source.address },
    ...manifest.nodes
      .filter((n) => n.role === 'manager' && n.address !== manifest.source.address)
      .map((n) => ({ hostname: n.hostname, address: n.address })),
  ];
  const explicit = new Map<string, H>();
  for (const map of maps) {
    if (!oldManagers.some((o) => o.address === map.old)) {
      throw new UsageError(
        `--map ${map.old}=${map.new}: ${map.old} was not a manager of the backed-up swarm (its managers: ${oldManagers.map((o) => `${o.hostname} ${o.address}`).join(', ')}); nothing was changed`,
        { code: 'ERESTORE_MAP' },
      );
    }
    const host = managers.find((h) => h.name === map.new || h.advertiseAddress === map.new);
    if (!host) {
      throw new UsageError(
        `--map ${map.old}=${map.new}: no manager of the cluster file is named or advertises ${map.new} (its managers: ${managers.map((h) => `${h.name} ${h.advertiseAddress}`).join(', ')}); nothing was changed`,
        { code: 'ERESTORE_MAP' },
      );
    }
    if ([...explicit.values()].includes(host)) {
      throw new UsageError(`--map: ${host.name} is the new place of two old managers; nothing was changed`, {
        code: 'ERESTORE_MAP',
      });
    }
    explicit.set(map.old, host);
  }
  const source = manifest.source.address;
  const target =
    explicit.get(source) ??
    managers.find((h) => h.advertiseAddress === source && ![...explicit.values()].includes(h)) ??
    managers.find((h) => ![...explicit.values()].includes(h));
  if (!target) {
    throw new EectlError(`the cluster file has no manager left for the swarm state of ${archive}`, {
      code: 'ERESTORE_ADDRESS',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: ['Map the source manager with --map, or add a manager to the file.'],
    });
  }
  const moved = target.advertiseAddress !== source;
  const pairs: ManagerMapping<H>['pairs'] = [{ old: oldManagers[0], new: target, source: true }];
  const used = new Set<H>([target, ...explicit.values()]);
  const spare = managers.filter((h) => !used.has(h));
  for (const old of oldManagers.slice(1)) {
    const mapped = explicit.get(old.address) ?? spare.shift();
    pairs.push({ old, ...(mapped ? { new: mapped } : {}), source: false });
  }
  for (const extra of spare) pairs.push({ new: extra, source: false });
  if (!moved) return { target, moved, pairs };
  const otherManager = managers.find((h) => h !== target);
  const worker = hosts.find((h) => !h.isManager);
  const helper = otherManager ?? worker;
  if (!helper) {
    throw new EectlError(
      `the swarm state in ${archive} was copied at ${source}, and ${target.name} advertises ${target.advertiseAddress}: moving a manager to a new address needs a second host in the cluster file (a manager, or a worker that is a manager for the move only), and the file has one host; nothing was changed`,
      {
        code: 'ERESTORE_ADDRESS',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: [
          'Add a second host to the cluster file, or give the manager the old address.',
          'README.md, "Restore onto new addresses", says why the hand-off needs one.',
        ],
      },
    );
  }
  return { target, moved, helper: { host: helper, temporary: !otherManager }, pairs };
}

/** The plan's lines: `old-host OLD → new-host NEW`, and what each means. */
export function describeMapping(mapping: ManagerMapping<MappableHost>): string[] {
  return mapping.pairs.map((p) => {
    const old = p.old ? `${p.old.hostname} ${p.old.address}` : '(none)';
    const now = !p.new
      ? '(none)'
      : p.new.name === p.new.advertiseAddress
        ? p.new.name
        : `${p.new.name} ${p.new.advertiseAddress}`;
    const what = p.source
      ? mapping.moved
        ? 'gets the swarm state, then advertises its new address'
        : 'gets the swarm state at the same address'
      : p.new
        ? 'joins as a new manager'
        : 'not restored (the swarm keeps the other managers of the file)';
    return `${old} → ${now}: ${what}`;
  });
}
