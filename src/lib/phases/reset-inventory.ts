import type { ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import { configurerFor, type OsConfigurer } from '../host/os/index.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { Phase } from './runner/phase.js';
import { mapSettled } from '../util/concurrency.js';
import { lockHost } from './lock.js';
import { type InstallRecord, type RecordProbe } from '../host/install-record.js';
import { INSTALL_RECORD, INSTALL_RECORD_DIR, ENGINE_RUNTIME_PATHS } from '../host-layout.js';
import { ENGINE_PACKAGE_NAMES } from '../host/os/packages.js';
import { installedEnginePackages, probeRecord, recordOf } from './install-record.js';
import {
  CNI_DIR,
  KEPT_WHILE_LOCKED,
  PROBE_SCRIPT,
  EECTL_SERVICE_UNITS,
  RESET_PATHS,
} from '../host/reset-leftovers.js';

/** What a reset finds on one host: everything it will remove, nothing else. Empty lists: already clean. */
export interface ResetInventory {
  /** Engine packages installed, as the OS configurer's query reports them. */
  packages: string[];
  /** Packages the engine's packages pulled in that nothing else needs once they are gone (apt only). */
  pulledIn: string[];
  /** Engine services running now, in the order they are stopped. */
  activeServices: string[];
  /** Paths with something to remove: RESET_PATHS, the API drop-in, /etc/cni when containerd left it empty. */
  paths: string[];
  /** eectl's package source files present. */
  sourceFiles: string[];
  /** The engine's bridges still there. */
  links: string[];
  /** The iptables commands that would remove the engine's chains and rules. */
  firewall: string[];
  dockerGroup: boolean;
  /** What stays because the install record says it was there before eectl (packages, files, the group). */
  kept?: string[];
  /** Installed by an older eectl (its files are there, no install record): removed as before. */
  legacy?: boolean;
  /** daemon.json to put back when /etc/docker stays (null: there was none), when it differs now. */
  restoreDaemonJson?: string | null;
  /** certs.d entries eectl added that are still there. */
  certsD?: string[];
  /** What an engine eectl installed added to a kept /etc/docker (key.json), when that engine goes. */
  etcDockerAdded?: string[];
  /** Start the engine at the end: it was there and running before eectl, and stays. */
  startEngine?: boolean;
  /** The install record is there: removed last, so a reset that stops part-way still has it. */
  record?: boolean;
}

/** Parses PROBE_SCRIPT's output into the inventory's file, network and group parts. */
export function parseProbe(
  stdout: string,
): Pick<ResetInventory, 'paths' | 'sourceFiles' | 'links' | 'firewall' | 'dockerGroup'> {
  const found = { paths: [] as string[], sourceFiles: [] as string[], links: [] as string[] };
  const firewall: string[] = [];
  let dockerGroup = false;
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    const [kind, value] =
      space < 0 ? [line.trim(), ''] : [line.slice(0, space), line.slice(space + 1).trim()];
    if (kind === 'path') found.paths.push(value);
    else if (kind === 'source') found.sourceFiles.push(value);
    else if (kind === 'link') found.links.push(value);
    else if (kind === 'firewall') firewall.push(value);
    else if (kind === 'group' && value === 'docker') dockerGroup = true;
  }
  // Sorted: `ip link` lists them in creation order, which says nothing to the reader.
  return { ...found, links: found.links.sort(), firewall, dockerGroup };
}

/** Package names in `apt-get -s` output ("Purg docker.io [20.10…]", "Remv runc [1.1.5…]"). */
export function parseAptSimulation(stdout: string): string[] {
  return [...stdout.matchAll(/^(?:Purg|Remv) (\S+)/gm)].map((m) => m[1]!);
}

/**
 * The packages a purge of the engine leaves unneeded (containerd, runc, tini …): what apt would autoremove
 * after the purge minus what it would autoremove already, so orphans that were there before eectl stay.
 * apt keeps packages another installed package recommends or suggests (perl, python3 on a minimal Debian);
 * so do we. dnf removes unneeded dependencies itself; zypper keeps them.
 */
async function pulledInByEngine(host: Host, configurer: OsConfigurer, packages: string[]): Promise<string[]> {
  if (configurer.packageManager !== 'apt' || packages.length === 0) return [];
  const simulate = async (args: string[]) => {
    const r = await host.exec(['env', 'LC_ALL=C', 'apt-get', '-s', ...args], {
      check: false,
      timeoutMs: 120_000,
    });
    if (r.code !== 0) throw new Error(`apt-get -s ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return parseAptSimulation(r.stdout);
  };
  try {
    const before = new Set(await simulate(['autoremove']));
    const after = await simulate(['purge', '--autoremove', ...packages]);
    return after.filter((name) => !packages.includes(name) && !before.has(name));
  } catch (error) {
    host.log.warn(`cannot tell which packages the engine pulled in, so they stay: ${String(error)}`);
    return [];
  }
}

/** An inventory with nothing to do. */
const NOTHING: ResetInventory = {
  packages: [],
  pulledIn: [],
  activeServices: [],
  paths: [],
  sourceFiles: [],
  links: [],
  firewall: [],
  dockerGroup: false,
};

/**
 * What the install record changes in a reset: which packages and paths stay, and what is put back. A host
 * with no record and no file of eectl, out of any swarm, is not eectl's (never installed, or reset
 * already): nothing is removed there, whatever engine it runs.
 */
interface RecordPlan {
  record: InstallRecord | undefined;
  legacy: boolean;
  untouched: boolean;
  keptPackages: string[];
  engineKept: boolean;
  candidates: string[];
}

async function recordPlan(host: Host, packages: string[]): Promise<RecordPlan & { probe: RecordProbe }> {
  const probe = await probeRecord(host);
  if (probe.record !== undefined && recordOf(host, probe) === undefined) {
    throw new EectlError(`${host.name}: ${INSTALL_RECORD} is not a readable install record`, {
      code: 'ERECORD',
      kind: 'user',
      host: host.name,
      suggestions: [
        `Look at ${INSTALL_RECORD} on ${host.name}: fix it, or remove it to reset that host as an older eectl did (engine packages, /etc/docker and the docker group removed).`,
      ],
    });
  }
  const record = recordOf(host, probe);
  const swarmState = host.facts?.swarm?.state ?? 'inactive';
  const legacy = !record && (probe.traces.length > 0 || swarmState !== 'inactive');
  const keptPackages = record ? packages.filter((p) => record.packages.includes(p)) : [];
  const engineKept = keptPackages.some((p) => (ENGINE_PACKAGE_NAMES as readonly string[]).includes(p));
  const dropped = new Set<string>();
  if (record) dropped.add(INSTALL_RECORD_DIR);
  if (record?.etcDocker) dropped.add('/etc/docker');
  if (engineKept)
    for (const p of ['/var/lib/docker', '/var/lib/containerd', ...ENGINE_RUNTIME_PATHS]) dropped.add(p);
  return {
    probe,
    record,
    legacy,
    untouched: !record && !legacy,
    keptPackages,
    engineKept,
    candidates: RESET_PATHS.filter((p) => !dropped.has(p)),
  };
}

/** certs.d entry names from a record, as plain directory names (never a path elsewhere). */
const plainEntry = (name: string): boolean =>
  name !== '' && name !== '.' && name !== '..' && !name.includes('/');

/** Probes one host (read-only) for everything a reset removes. */
export async function probeHost(host: Host, keep: string | undefined): Promise<ResetInventory> {
  const facts = host.known;
  if (!facts.isRoot && !facts.sudo) {
    throw new EectlError(`${host.name}: ${facts.user} is neither root nor allowed passwordless sudo`, {
      code: 'ENO_SUDO',
      kind: 'user',
      host: host.name,
      suggestions: [`Log in as root, or allow ${facts.user} passwordless sudo on ${host.name}.`],
    });
  }
  const configurer = configurerFor(facts);
  const service = serviceManagerFor(facts.initSystem);
  const installedPackages = await installedEnginePackages(host);
  const plan = await recordPlan(host, installedPackages);
  if (plan.untouched) return { ...NOTHING };
  const { record, probe: found } = plan;
  const packages = installedPackages.filter((p) => !plan.keptPackages.includes(p));
  // docker.socket first: while it listens, systemd starts docker again on the next connection.
  // eectl's own services on the managers (systemd only) first: they call the engine.
  const services =
    facts.initSystem === 'systemd'
      ? [
          ...EECTL_SERVICE_UNITS.map((u) => u.replace(/\.service$/, '')),
          'docker.socket',
          'docker',
          'containerd',
        ]
      : ['docker', 'containerd'];
  const activeServices: string[] = [];
  for (const name of services) {
    const probe = service.isActive(name);
    const r = await host.exec(probe.command, { sudo: probe.sudo, check: false, timeoutMs: 30_000 });
    if (service.parseIsActive(r)) activeServices.push(name);
  }
  const probe = await host.sudo(['sh', '-c', PROBE_SCRIPT, 'sh', keep ?? '', ...plan.candidates], {
    timeoutMs: 60_000,
  });
  const probed = parseProbe(probe.stdout);
  const pulledIn = (await pulledInByEngine(host, configurer, packages)).filter(
    (p) => !record?.packages.includes(p),
  );
  if (!record) return { packages, pulledIn, activeServices, ...probed, legacy: true };

  const kept = [...plan.keptPackages];
  if (record.dockerGroup && probed.dockerGroup) kept.push('the docker group');
  let restoreDaemonJson: string | null | undefined;
  let certsD: string[] = [];
  let etcDockerAdded: string[] = [];
  if (record.etcDocker) {
    if (found.daemonJson !== record.daemonJson) restoreDaemonJson = record.daemonJson;
    certsD = record.certsDAdded.filter((e) => plainEntry(e) && found.certsD.includes(e));
    if (!plan.engineKept) {
      etcDockerAdded = found.etcDockerEntries.filter(
        (e) =>
          plainEntry(e) && e !== 'daemon.json' && e !== 'certs.d' && !record.etcDockerEntries.includes(e),
      );
    }
    const theirs = found.certsD.filter((e) => !certsD.includes(e));
    kept.push(`/etc/docker${theirs.length > 0 ? ` (certs.d: ${theirs.join(', ')})` : ''}`);
  }
  return {
    packages,
    pulledIn,
    activeServices,
    ...probed,
    // A kept engine recreates its bridges and chains when it starts again; its CNI directory is its own.
    paths: plan.engineKept ? probed.paths.filter((p) => p !== CNI_DIR) : probed.paths,
    links: plan.engineKept ? [] : probed.links,
    firewall: plan.engineKept ? [] : probed.firewall,
    dockerGroup: probed.dockerGroup && !record.dockerGroup,
    kept,
    restoreDaemonJson,
    certsD,
    etcDockerAdded,
    startEngine: plan.engineKept && record.engineActive,
    record: true,
  };
}

/** Whether a reset has nothing to do on a host with this inventory. */
export function isClean(inventory: ResetInventory): boolean {
  return (
    inventory.packages.length === 0 &&
    inventory.activeServices.length === 0 &&
    inventory.paths.length === 0 &&
    inventory.sourceFiles.length === 0 &&
    inventory.links.length === 0 &&
    inventory.firewall.length === 0 &&
    !inventory.dockerGroup &&
    inventory.restoreDaemonJson === undefined &&
    (inventory.certsD ?? []).length === 0 &&
    (inventory.etcDockerAdded ?? []).length === 0 &&
    !inventory.startEngine &&
    !inventory.record
  );
}

/**
 * Finds what a reset removes on every reachable host, in parallel, before anything changes: a host that
 * cannot be probed stops the run with nothing changed (exit 3). Runs under the lock, so what it finds is
 * what the next phases remove; on the lock host the lock itself is not counted.
 */
export const resetInventoryPhase: Phase<ClusterContext & { inventory: Map<string, ResetInventory> }> = {
  title: 'Find what to remove',
  async run(ctx, out) {
    // Also under --dry-run, which takes no lock: it lists what the real run would remove.
    const keepOn = lockHost(ctx);
    const settled = await mapSettled(ctx.hosts, ctx.concurrency, async (host) => {
      const inventory = await probeHost(host, host === keepOn ? KEPT_WHILE_LOCKED : undefined);
      ctx.inventory.set(host.name, inventory);
      if (inventory.legacy) {
        host.log.warn(
          'no install record (installed by an older eectl): its engine packages, /etc/docker and the docker group are removed as before',
        );
      }
      const kept = inventory.kept?.length ? `; keeps ${inventory.kept.join(', ')}` : '';
      out.report(
        host.name,
        isClean(inventory)
          ? 'already clean'
          : `${inventory.packages.join(', ') || 'no engine package'}${kept}${inventory.legacy ? ' (no install record)' : ''}`,
      );
      host.log.debug(`reset inventory: ${JSON.stringify(inventory)}`);
    });
    const failed = settled.flatMap((s) => (s.ok ? [] : [toEectlError(s.error)]));
    if (failed.length > 0) {
      throw hostsFailedError(failed, {
        total: ctx.hosts.length,
        headline: (hosts) => `cannot find what to remove on ${hosts}; nothing was changed`,
        code: 'EPROBE',
        kind: 'external',
        exitCode: ExitCode.preflight,
      });
    }
  },
};
