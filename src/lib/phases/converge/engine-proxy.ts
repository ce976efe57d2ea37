import { dirname } from 'node:path';
import { inSwarm, requestRestart, type ClusterContext } from '../runner/cluster-context.js';
import type { Host } from '../../host/host.js';
import {
  describeProxy,
  engineProxyFiles,
  resolveHostProxy,
  type EngineProxyFiles,
  type HostProxy,
} from '../../host/proxy.js';
import {
  ENGINE_PROXY_DROP_IN,
  ENGINE_PROXY_ENV,
  HOST_PKI_DIR,
  HOST_RESTART_PENDING,
} from '../../host-layout.js';
import { serviceManagerFor } from '../../host/service/index.js';
import type { PhaseOutput } from '../runner/phase.js';
import { applySteps } from '../runner/steps.js';

/** The engine's proxy on one host (spec.proxy): its drop-in written in the host's converge, or in its turn of a rolling restart. */

/** A host's proxy (its own, else spec.proxy), resolved once per run: urlEnv read, noProxy completed. */
export function hostProxy(ctx: ClusterContext, host: Host): HostProxy | undefined {
  if (!ctx.config.spec.proxy && !host.spec.proxy) return undefined;
  ctx.proxies ??= new Map();
  if (!ctx.proxies.has(host.name)) {
    const index = ctx.config.spec.hosts.indexOf(host.spec);
    const advertised = ctx.hosts.map((h) => h.advertiseAddress);
    ctx.proxies.set(host.name, resolveHostProxy(ctx.config, index, advertised));
  }
  return ctx.proxies.get(host.name);
}

/** What the engine's proxy files need on one host. */
interface EngineProxyChange {
  /** The files to write; undefined: remove eectl's. */
  files?: EngineProxyFiles;
  reason: string;
}

async function engineProxyChange(ctx: ClusterContext, host: Host): Promise<EngineProxyChange | undefined> {
  const proxy = hostProxy(ctx, host);
  const current = host.facts?.files[ENGINE_PROXY_DROP_IN];
  if (!proxy) return current === undefined ? undefined : { reason: 'the engine proxy removed' };
  const files = engineProxyFiles(proxy);
  const same =
    current === files.dropIn &&
    (files.envFile === undefined || (await sameOnHost(host, ENGINE_PROXY_ENV, files.envFile)));
  return same ? undefined : { files, reason: `the engine proxy ${describeProxy(proxy)}` };
}

/** Writes (or removes) the drop-in and the environment file, then has systemd read the unit again. */
async function putEngineProxy(
  ctx: ClusterContext,
  host: Host,
  change: EngineProxyChange,
  out: PhaseOutput,
): Promise<void> {
  const { files } = change;
  const what = files ? `write ${ENGINE_PROXY_DROP_IN} (${change.reason})` : `remove ${ENGINE_PROXY_DROP_IN}`;
  await ctx.changes.apply(host, what, async () => {
    if (!files) {
      await host.sudo(['rm', '-f', ENGINE_PROXY_DROP_IN, ENGINE_PROXY_ENV]);
      return;
    }
    await host.sudo(['install', '-d', '-m', '0755', dirname(ENGINE_PROXY_DROP_IN)]);
    if (files.envFile !== undefined) {
      await host.sudo(['install', '-d', '-m', '0700', dirname(ENGINE_PROXY_ENV)]);
      await host.conn.upload(ENGINE_PROXY_ENV, files.envFile, { mode: 0o600, sudo: true });
    } else {
      await host.sudo(['rm', '-f', ENGINE_PROXY_ENV]);
    }
    // The drop-in last: the facts see it only once what it names is in place.
    await host.conn.upload(ENGINE_PROXY_DROP_IN, files.dropIn, { mode: 0o644, sudo: true });
  });
  await applySteps(ctx, host, serviceManagerFor(host.known.initSystem).daemonReload(), out);
}

/**
 * Converges the engine's proxy (a systemd drop-in for docker.service). Not running yet: written before
 * the package starts the engine, which then needs no second start. Running outside the swarm: written
 * now; returns true, the caller restarts. Serving in the swarm: written in the host's turn of the rolling
 * change, after the node is drained and a restart marker is on the host (a run stopped between the file
 * and the restart still restarts it next time), then daemon-reload, then the turn's restart.
 */
export async function convergeEngineProxy(
  ctx: ClusterContext,
  host: Host,
  out: PhaseOutput,
): Promise<boolean> {
  const change = await engineProxyChange(ctx, host);
  if (!change) return false;
  const running = host.facts?.engine?.running === true;
  if (running && inSwarm(host)) {
    requestRestart(ctx, host, change.reason, {
      apply: [
        async (turnOut) => {
          await markRestartPending(ctx, host, change.reason);
          await putEngineProxy(ctx, host, change, turnOut);
        },
      ],
    });
    return false;
  }
  await putEngineProxy(ctx, host, change, out);
  return running;
}

async function markRestartPending(ctx: ClusterContext, host: Host, why: string): Promise<void> {
  if (host.facts?.files[HOST_RESTART_PENDING] !== undefined) return;
  await ctx.changes.apply(host, 'mark the engine for a restart', async () => {
    await host.sudo(['install', '-d', '-m', '0755', HOST_PKI_DIR]);
    await host.conn.upload(HOST_RESTART_PENDING, `${why}\n`, { mode: 0o644, sudo: true });
    // The turn removes the marker it finds in the facts once the engine is back.
    if (host.facts) host.facts.files[HOST_RESTART_PENDING] = `${why}\n`;
  });
}

/** Whether the host's file at `path` holds exactly `content`, compared on the host as root (content on stdin). */
export async function sameOnHost(host: Host, path: string, content: string): Promise<boolean> {
  const r = await host.sudo(['sh', '-c', 'cmp -s "$1" -', 'sh', path], { stdin: content, check: false });
  return r.code === 0;
}
