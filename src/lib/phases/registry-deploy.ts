import { inSwarm, managers, reportExcluded, type ClusterContext } from './runner/cluster-context.js';
import { HostDocker, type ServiceDefinition, type ServiceState } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { requireReplicasServing, waitForReplica } from '../registry/health.js';
import { REGISTRY_OBJECT_PREFIX } from '../registry/names.js';
import { MIRROR_SERVICE_PREFIX } from '../registry/mirror.js';
import { mirrorCacheDir, REGISTRY_STATE_DIR } from '../host-layout.js';
import type { RegistryPlan } from '../registry/plan.js';
import { mapAll } from '../util/concurrency.js';
import { convergeGates } from './registry-gate.js';
import { registryHosts } from './registry-plan.js';

/** How long a replica may take to answer `/v2/` after its rollout. */
const REPLICA_TIMEOUT_MS = 90_000;

/**
 * Converges the registry: the managers keep its state, the registry hosts have the storage path, the
 * swarm has its configs and secrets, and the one global service runs them, rolled out one replica at a
 * time when anything changed; then every replica's `/v2/` must answer.
 */
export const registryDeployPhase: Phase<ClusterContext, 'registry'> = {
  title: 'Deploy the registry replicas',
  needs: ['registry'],
  shouldRun: (ctx) =>
    ctx.registry !== undefined &&
    (ctx.changes.dryRun || (ctx.swarmManager !== undefined && inSwarm(ctx.swarmManager))),
  async run(ctx, out) {
    const plan = ctx.registry;
    reportExcluded(ctx, out, "its copy of the registry's state is not updated", true);
    await mapAll(managers(ctx), ctx.concurrency, (m) => keepState(ctx, m, plan));
    await mapAll(registryHosts(ctx), ctx.concurrency, (h) => ensureStorage(ctx, h));
    // registry.immutable: the gate takes the port before the replicas move to their socket (and goes
    // before they take the port back when the list is emptied).
    await convergeGates(ctx, registryHosts(ctx), plan);
    const manager = ctx.swarmManager && inSwarm(ctx.swarmManager) ? ctx.swarmManager : undefined;
    if (!manager) {
      // A dry run on a cluster that does not exist yet: everything would be created.
      for (const o of plan.objects)
        await ctx.changes.apply(ctx.hosts[0]!, `create registry ${o.kind} ${o.name}`, noop);
      for (const s of [plan.service, ...plan.mirrors.map((m) => m.service)])
        await ctx.changes.apply(ctx.hosts[0]!, `create service ${s.name}`, noop);
      return;
    }
    const docker = new HostDocker(manager);
    const existing = {
      config: await docker.objectNames('config'),
      secret: await docker.objectNames('secret'),
    };
    for (const o of plan.objects.filter((o) => !existing[o.kind].includes(o.name))) {
      await ctx.changes.apply(manager, `create registry ${o.kind} ${o.name}`, () =>
        o.kind === 'config'
          ? docker.configCreate(o.name, o.content, { template: o.template ?? false })
          : docker.secretCreate(o.name, o.content),
      );
    }
    await convergeService(ctx, manager, docker, plan.service, out);
    for (const mirror of plan.mirrors) await convergeService(ctx, manager, docker, mirror.service, out);
    await removeOldMirrors(ctx, manager, docker, plan);
    await pruneObjects(ctx, manager, docker, plan);
    if (!ctx.changes.dryRun) await checkReplicas(ctx, plan, out);
  },
};

const noop = async (): Promise<void> => undefined;

/** Creates the service, or rolls it out one replica at a time when it differs from its definition. */
async function convergeService(
  ctx: ClusterContext,
  manager: Host,
  docker: HostDocker,
  service: ServiceDefinition,
  out: { report(h: string, l: string): void },
): Promise<void> {
  const current = await docker.serviceInspect(service.name);
  const changed = current && differences(service, current);
  if (!current) {
    out.report(manager.name, `creating ${service.name}`);
    await ctx.changes.apply(manager, `create service ${service.name} (one replica per registry host)`, () =>
      docker.serviceCreate(service),
    );
  } else if (changed && changed.length > 0) {
    out.report(manager.name, `rolling out ${service.name}, one replica at a time`);
    await ctx.changes.apply(
      manager,
      `roll out ${service.name} one replica at a time (${changed.join(', ')})`,
      () => docker.serviceUpdate(service, current),
    );
  }
}

/** Removes the services of mirrors the file no longer has (their caches stay on the hosts). */
async function removeOldMirrors(ctx: ClusterContext, manager: Host, docker: HostDocker, plan: RegistryPlan) {
  const wanted = new Set(plan.mirrors.map((m) => m.service.name));
  const old = (await docker.services())
    .map((s) => s.name)
    .filter((n) => n.startsWith(MIRROR_SERVICE_PREFIX) && !wanted.has(n));
  for (const name of old) {
    await ctx.changes.apply(manager, `remove service ${name} (no longer in registry.mirrors)`, () =>
      docker.serviceRemove(name),
    );
  }
}

/** What differs between the service and its definition, in words (empty: nothing to roll out). */
export function differences(want: ServiceDefinition, have: ServiceState): string[] {
  const names = (refs: { source: string; target: string }[]) =>
    refs
      .map((r) => `${r.source}>${r.target}`)
      .sort()
      .join();
  const out: string[] = [];
  if (want.image !== have.image) out.push(`image ${have.image} → ${want.image}`);
  if (names(want.configs) !== names(have.configs)) out.push('configuration');
  if (names(want.secrets) !== names(have.secrets)) out.push('secrets');
  if (names([...want.binds, ...(want.readOnlyBinds ?? [])]) !== names(have.binds)) out.push('storage');
  const ports = (p: { target: number; published: number }[]) =>
    p.map((x) => `${x.published}:${x.target}`).join();
  if (ports(want.hostPorts) !== ports(have.hostPorts)) out.push('port');
  if ([...(want.extraHosts ?? [])].sort().join() !== [...(have.extraHosts ?? [])].sort().join())
    out.push('hosts');
  return out;
}

/** Writes the registry's state files a manager lacks or has otherwise (read before any change). */
async function keepState(ctx: ClusterContext, manager: Host, plan: RegistryPlan): Promise<void> {
  const have = ctx.registryState?.get(manager.name) ?? new Map<string, string>();
  const stale = [...plan.stateFiles].filter(([path, f]) => have.get(path) !== f.content);
  if (stale.length === 0) return;
  const what = stale.map(([path]) => path.slice(REGISTRY_STATE_DIR.length + 1)).join(', ');
  await ctx.changes.apply(manager, `keep the registry's ${what} in ${REGISTRY_STATE_DIR}`, async () => {
    await manager.sudo(['mkdir', '-p', '-m', '0755', REGISTRY_STATE_DIR]);
    for (const [path, f] of stale) await manager.conn.upload(path, f.content, { sudo: true, mode: f.mode });
  });
}

/**
 * The storage path and every mirror's cache must exist on every registry host: a bind mount of a missing
 * path fails the task.
 */
async function ensureStorage(ctx: ClusterContext, host: Host): Promise<void> {
  const storage = ctx.config.spec.registry.storage;
  const paths = [
    ...('filesystem' in storage
      ? [{ path: storage.filesystem.path, what: 'the registry storage directory' }]
      : []),
    ...ctx.config.spec.registry.mirrors.map((m) => ({
      path: mirrorCacheDir(m.name),
      what: `mirror ${m.name}'s cache`,
    })),
  ];
  for (const { path, what } of paths) {
    const exists = await host.sudo(['test', '-d', path], { check: false });
    if (exists.code === 0) continue;
    await ctx.changes.apply(host, `create ${what} ${path}`, () =>
      host.sudo(['mkdir', '-p', '-m', '0700', path]),
    );
  }
}

/** Removes the registry's configs and secrets that the service no longer uses (older contents). */
async function pruneObjects(ctx: ClusterContext, manager: Host, docker: HostDocker, plan: RegistryPlan) {
  const wanted = new Set(plan.objects.map((o) => o.name));
  for (const kind of ['config', 'secret'] as const) {
    const old = (await docker.objectNames(kind)).filter(
      (n) => n.startsWith(REGISTRY_OBJECT_PREFIX) && !wanted.has(n),
    );
    if (old.length === 0) continue;
    await ctx.changes.apply(manager, `remove unused registry ${kind}s ${old.join(', ')}`, () =>
      docker
        .objectRemove(kind, old)
        .catch((e: unknown) => manager.log.warn(`could not remove ${old.join(', ')}: ${String(e)}`)),
    );
  }
}

/** Every replica must answer `/v2/` (200, or 401 with auth) over TLS from the cluster CA. */
async function checkReplicas(
  ctx: ClusterContext,
  plan: RegistryPlan,
  out: { report(h: string, l: string): void },
) {
  plan.replicas = await mapAll(registryHosts(ctx), ctx.concurrency, async (host) => {
    out.report(host.name, 'checking /v2/');
    return waitForReplica(host, ctx.config.spec.registry, REPLICA_TIMEOUT_MS);
  });
  plan.mirrorReplicas = (
    await mapAll(registryHosts(ctx), ctx.concurrency, (host) =>
      mapAll(ctx.config.spec.registry.mirrors, 1, (m) => {
        out.report(host.name, `checking mirror ${m.name}'s /v2/`);
        return waitForReplica(host, ctx.config.spec.registry, REPLICA_TIMEOUT_MS, m.port);
      }),
    )
  ).flat();
  // A mirror's replica is named by its URL (its port); the service to look at is eectl-registry-mirror-<name>.
  requireReplicasServing([...plan.replicas, ...plan.mirrorReplicas], 'install');
}
