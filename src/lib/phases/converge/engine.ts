import { inSwarm, requestRestart, type ClusterContext } from '../runner/cluster-context.js';
import type { ClusterConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { engineMirrorKeys } from '../../registry/mirror.js';
import { HostDocker } from '../../swarm/docker.js';
import { DAEMON_JSON, HOST_RESTART_PENDING } from '../../host-layout.js';
import type { Host } from '../../host/host.js';
import { configurerFor } from '../../host/os/index.js';
import { serviceManagerFor } from '../../host/service/index.js';
import { upstreamVersion } from '../../host/version.js';
import type { PhaseOutput } from '../runner/phase.js';
import { accessDaemonKeys, deployAuthz } from './access.js';
import { writeApiFiles } from './api.js';
import { convergeEngineProxy } from './engine-proxy.js';
import { sourceSpec, satisfiedVersion } from './package-source.js';
import { applySteps } from '../runner/steps.js';
import { applyFiles } from './files.js';

/** The `registry-mirrors` that registry.mirrors with `engines: true` ask of every engine (none otherwise). */
export const mirrorDaemonKeys = (config: ClusterConfig): Record<string, unknown> =>
  engineMirrorKeys(
    config.spec.registry,
    config.spec.hosts.filter((h) => h.role === 'registry').map((h) => h.address),
  );

/**
 * daemon.json with engine.daemon merged over what the host has (keys of the file win, others are kept),
 * or undefined when the host's file already says that.
 */
export function mergedDaemonJson(host: Host, wanted: Record<string, unknown>): string | undefined {
  const text = host.facts?.files[DAEMON_JSON];
  let current: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      current = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`${host.name}: ${DAEMON_JSON} is not valid JSON (${(error as Error).message})`, {
        host: host.name,
        code: 'EDAEMON_JSON',
        suggestions: [`Fix or remove ${DAEMON_JSON} on ${host.name}, then run install again.`],
      });
    }
  }
  const merged = { ...current, ...wanted };
  if (text !== undefined && JSON.stringify(merged) === JSON.stringify(current)) return undefined;
  if (text === undefined && Object.keys(wanted).length === 0) return undefined;
  return `${JSON.stringify(merged, null, 2)}\n`;
}

/**
 * Converges one host's engine: daemon.json first (so a fresh package starts with it and needs no restart),
 * then the pinned package, then the service, then the files of `files:` (converge/files.ts) — the service
 * started when it is not running, restarted when its configuration or a file that restarts it changed or
 * the daemon still runs another version than the package. A host that serves in the swarm is never
 * restarted here: its restart goes to the rolling change (one host at a time, drained), with its new
 * daemon.json and such files written in its turn; and its engine is never upgraded (that is `eectl upgrade`).
 */
export async function convergeEngine(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  const configurer = configurerFor(host.known);
  const service = serviceManagerFor(host.known.initSystem);
  const running = host.facts?.engine?.running === true;
  const serving = running && inSwarm(host);
  const wanted = {
    ...ctx.config.spec.engine.daemon,
    ...mirrorDaemonKeys(ctx.config),
    ...(await accessDaemonKeys(ctx, host)),
  };
  const daemonJson = mergedDaemonJson(host, wanted);
  const changesBefore = ctx.changes.countFor(host.name);
  if (daemonJson !== undefined && serving) {
    requestRestart(ctx, host, `new ${DAEMON_JSON}`, { daemonJson });
  } else if (daemonJson !== undefined) {
    await ctx.changes.apply(host, `write ${DAEMON_JSON}`, async () => {
      await host.sudo(['mkdir', '-p', '/etc/docker']);
      await host.conn.upload(DAEMON_JSON, daemonJson, { mode: 0o644, sudo: true });
    });
  }
  if (serving && host.facts?.files[HOST_RESTART_PENDING] !== undefined && !host.isManager) {
    requestRestart(ctx, host, 'a restart an earlier run left pending');
  }
  // Before the package too: a fresh engine starts with its proxy.
  const proxyChanged = await convergeEngineProxy(ctx, host, out);
  await writeApiFiles(ctx, host, out); // managers: CA, server certificate and API drop-in, also before the package
  await deployAuthz(ctx, host, out); // managers with spec.access: the plugin answers before the engine starts
  const heldBack = ctx.heldBack?.get(host.name);
  const version = heldBack ?? ctx.engineVersions.get(host.name)!;
  const installed = heldBack !== undefined || satisfiedVersion(ctx, host) !== undefined;
  if (!installed && ctx.changes.dryRun) {
    // Versions are listed only after the package source is set up, which a dry run does not do.
    const engine = configurer.enginePackages(sourceSpec(ctx)).engine;
    await ctx.changes.apply(host, `install ${engine} ${version}`, async () => undefined);
  } else if (!installed) {
    const offers = ctx.engineOffers.get(host.name) ?? [];
    await applySteps(ctx, host, configurer.installEngine(sourceSpec(ctx), version, offers), out);
  } else {
    await holdPackages(ctx, host, out);
  }
  if (!running || !installed) {
    await applySteps(ctx, host, service.enableAndStart('docker'), out);
  }
  // After the packages (their users and groups exist), before the swarm: certs.d is in place for the join.
  const files = ctx.files?.get(host.name);
  ctx.files?.delete(host.name);
  const filesRestart = files !== undefined && (await applyFiles(ctx, host, files, out, serving));
  const serverVersion = host.facts?.engine?.serverVersion;
  const stale =
    running &&
    serverVersion !== undefined &&
    !ctx.changes.dryRun &&
    upstreamVersion(serverVersion) !== upstreamVersion(version);
  if (serving && stale) {
    requestRestart(ctx, host, `the daemon runs ${serverVersion}, the package is ${version}`, {
      expectVersion: version,
    });
  } else if (!serving && ((running && (daemonJson !== undefined || stale || proxyChanged)) || filesRestart)) {
    await applySteps(ctx, host, service.restart('docker'), out);
  }
  if (ctx.changes.dryRun) return;
  // The engine answered with the facts and nothing here touched it: asking again costs a round trip per host.
  if (serverVersion !== undefined && ctx.changes.countFor(host.name) === changesBefore) return;
  const reported = await new HostDocker(host).waitUntilUp();
  host.log.debug(`engine answers, version ${reported}`);
}

/**
 * Holds the engine's installed packages where nothing holds them yet (whatever installed them, or a run
 * stopped between the install and the hold), so the host's own upgrades never move the engine.
 */
async function holdPackages(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  const configurer = configurerFor(host.known);
  const packages = configurer.enginePackages(sourceSpec(ctx));
  const ours = new Set([packages.engine, ...packages.companions]);
  const free = (host.facts?.packageHolds ?? []).filter((p) => ours.has(p.name) && !p.held).map((p) => p.name);
  if (free.length > 0) await applySteps(ctx, host, configurer.holdPackages(free), out);
}
