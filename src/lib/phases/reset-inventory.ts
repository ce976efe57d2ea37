import type { ClusterContext } from '../actions/cluster-context.js';
import { EectlError, ExitCode, toEectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import { configurerFor, type OsConfigurer } from '../host/os/index.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { Phase } from '../phase/phase.js';
import { mapSettled } from '../util/concurrency.js';
import { lockHost } from './lock.js';
import { KEPT_WHILE_LOCKED, PROBE_SCRIPT, RESET_PATHS } from './reset-leftovers.js';

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
  const query = configurer.installedQuery();
  const installed = await host.exec(query.command, {
    sudo: query.sudo,
    check: query.check,
    timeoutMs: 60_000,
  });
  const packages = configurer.parseInstalled(installed.stdout).map((p) => p.name);
  // docker.socket first: while it listens, systemd starts docker again on the next connection.
  const services =
    facts.initSystem === 'systemd' ? ['docker.socket', 'docker', 'containerd'] : ['docker', 'containerd'];
  const activeServices: string[] = [];
  for (const name of services) {
    const probe = service.isActive(name);
    const r = await host.exec(probe.command, { sudo: probe.sudo, check: false, timeoutMs: 30_000 });
    if (service.parseIsActive(r)) activeServices.push(name);
  }
  const probe = await host.sudo(['sh', '-c', PROBE_SCRIPT, 'sh', keep ?? '', ...RESET_PATHS], {
    timeoutMs: 60_000,
  });
  return {
    packages,
    pulledIn: await pulledInByEngine(host, configurer, packages),
    activeServices,
    ...parseProbe(probe.stdout),
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
    !inventory.dockerGroup
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
      out.report(
        host.name,
        isClean(inventory) ? 'already clean' : `${inventory.packages.join(', ') || 'no engine package'}`,
      );
      host.log.debug(`reset inventory: ${JSON.stringify(inventory)}`);
    });
    const failed = settled.flatMap((s) => (s.ok ? [] : [toEectlError(s.error)]));
    if (failed.length > 0) {
      throw new EectlError(
        `cannot find what to remove on ${failed.length} of ${ctx.hosts.length} hosts; nothing was changed:\n` +
          failed.map((e) => `  ${e.message.split('\n').join('\n  ')}`).join('\n'),
        {
          code: failed.length === 1 ? failed[0]!.code : 'EPROBE',
          kind: 'external',
          exitCode: ExitCode.preflight,
          suggestions: [...new Set(failed.flatMap((e) => e.suggestions))],
        },
      );
    }
  },
};
