import { EectlError, ExitCode } from '../errors.js';
import { HostDocker, type ServiceDefinition, type ServiceState } from '../swarm/docker.js';
import { Host } from '../host/host.js';
import type { Phase, PhaseContext } from './runner/phase.js';
import { CONFIG_TARGET } from '../registry/config-file.js';
import {
  collectorArgs,
  gcRefusal,
  isReadOnly,
  parseCollectorOutput,
  readOnlyConfig,
  readWriteConfig,
  STORAGE_BYTES_SCRIPT,
  UPLOADS_IN_FLIGHT_SCRIPT,
  type CollectorReport,
} from '../registry/gc.js';
import { requireReplicasServing, waitForReplica } from '../registry/health.js';
import { contentName, REGISTRY_SERVICE } from '../registry/names.js';
import { mapAll } from '../util/concurrency.js';
import { done, pending, pollUntil } from '../util/poll.js';
import type { ManagerContext } from './node-connect.js';

/** An upload written to within this many seconds is in flight. */
const IN_FLIGHT_S = 10;
/** The longest wait for uploads in flight to end once every replica is read-only. */
const UPLOADS_TIMEOUT_MS = 120_000;
/** How long a replica may take to answer `/v2/` after its switch. */
const REPLICA_TIMEOUT_MS = 90_000;
/** The collector walks every manifest of the storage: generous. */
const COLLECT_TIMEOUT_MS = 3_600_000;

/** What the phases of `eectl registry gc` share. */
export interface RegistryGcContext extends PhaseContext, ManagerContext {
  deleteUntagged: boolean;
  /** Shown what will happen before any change; throws to stop (declined, or no terminal without --yes). */
  confirm: (replicas: number) => Promise<void>;
  /** The registry service as the plan read it. */
  service?: ServiceState;
  replicas?: number;
  /** The deployed config: its name and the read-write and read-only texts. */
  configs?: {
    deployed: string;
    readWrite: { name: string; content: string };
    readOnly: { name: string; content: string };
  };
  /** Registry hosts of the file, connected; the first one that runs a replica collects. */
  registryHosts?: Host[];
  collector?: { host: Host; container: string };
  readOnlySince?: number;
  readOnlyMs?: number;
  report?: CollectorReport;
  bytesBefore?: number;
  bytesAfter?: number;
}

const storagePath = (ctx: RegistryGcContext): string | undefined => {
  const storage = ctx.config.spec.registry.storage;
  return 'filesystem' in storage ? storage.filesystem.path : undefined;
};

/** The service definition that swaps its config for `config` (everything else as it runs). */
function withConfig(service: ServiceState, from: string, config: string): ServiceDefinition {
  return {
    ...service,
    configs: service.configs.map((c) =>
      c.source === from || c.target === CONFIG_TARGET ? { ...c, source: config } : c,
    ),
    rolling: { parallelism: 1, order: 'stop-first' },
  };
}

/**
 * Reads the registry service, its replicas and its config through the contact; refuses storage that is
 * not shared under more than one replica; finds a replica container to run the collector in; then asks.
 */
export const registryGcPlanPhase: Phase<RegistryGcContext, 'contact'> = {
  title: 'Plan the garbage collection',
  needs: ['contact'],
  async run(ctx, out) {
    const docker = new HostDocker(ctx.contact);
    const service = await docker.serviceInspect(REGISTRY_SERVICE);
    if (!service) {
      throw new EectlError(`the swarm runs no ${REGISTRY_SERVICE} service; nothing was changed`, {
        code: 'ENO_REGISTRY_SERVICE',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: ['Run eectl install: it deploys the registry on the registry hosts.'],
      });
    }
    const tasks = await docker.serviceTasks([service.id]);
    const replicas = tasks.filter((t) => t.state === 'running').length;
    const refusal = gcRefusal(ctx.config.spec.registry, replicas);
    if (refusal) throw refusal;
    const mounted = service.configs.find((c) => c.target === CONFIG_TARGET);
    if (!mounted) throw new Error(`bug: ${REGISTRY_SERVICE} mounts no ${CONFIG_TARGET}`);
    const { content } = await docker.configData(mounted.source);
    // A run that stopped half-way may have left the read-only config: its read-write form is the original.
    const readWrite = readWriteConfig(content);
    const readOnly = readOnlyConfig(readWrite);
    ctx.configs = {
      deployed: mounted.source,
      readWrite: { name: contentName('config', readWrite), content: readWrite },
      readOnly: { name: contentName('config', readOnly), content: readOnly },
    };
    if (isReadOnly(content))
      ctx.log.warn(`${ctx.contact.name}: the registry was left read-only by an earlier run`);
    ctx.service = service;
    ctx.replicas = replicas;
    const specs = ctx.config.spec.hosts.filter((h) => h.role === 'registry');
    ctx.registryHosts = await Promise.all(specs.map(async (s) => new Host(s, await ctx.connect(s))));
    for (const host of ctx.registryHosts) {
      const [container] = await new HostDocker(host).serviceContainers(REGISTRY_SERVICE);
      if (container) {
        ctx.collector = { host, container };
        break;
      }
    }
    if (!ctx.collector) {
      throw new EectlError('no registry host runs a replica to collect in; nothing was changed', {
        code: 'EREGISTRY_DOWN',
        kind: 'external',
        exitCode: ExitCode.preflight,
        suggestions: [
          'Look at `docker service ps eectl-registry` on a manager, run eectl install, then gc again.',
        ],
      });
    }
    out.report(ctx.contact.name, `${replicas} replica(s); the collector runs on ${ctx.collector.host.name}`);
    if (!ctx.changes.dryRun) await ctx.confirm(replicas);
  },
};

/** Rolls the registry to `config` one replica at a time, then waits until every replica answers. */
async function rollTo(
  ctx: RegistryGcContext & { contact: Host; service: ServiceState },
  config: { name: string; content: string },
  description: string,
): Promise<void> {
  const docker = new HostDocker(ctx.contact);
  const current = (await docker.serviceInspect(REGISTRY_SERVICE)) ?? ctx.service;
  const mounted = current.configs.find((c) => c.target === CONFIG_TARGET)?.source ?? '';
  // A dry run lists both rolls: the service it reads has not changed.
  if (mounted === config.name && !ctx.changes.dryRun) return;
  if (!(await docker.objectNames('config')).includes(config.name)) {
    await ctx.changes.apply(ctx.contact, `create registry config ${config.name}`, () =>
      docker.configCreate(config.name, config.content, { template: true }),
    );
  }
  await ctx.changes.apply(ctx.contact, description, () =>
    docker.serviceUpdate(withConfig(current, mounted, config.name), current),
  );
  if (ctx.changes.dryRun) return;
  const replicas = await mapAll(ctx.registryHosts ?? [], ctx.concurrency, (h) =>
    waitForReplica(h, ctx.config.spec.registry, REPLICA_TIMEOUT_MS),
  );
  requireReplicasServing(replicas, 'gc');
}

/** Back to read-write, whatever happened; the read-only window ends when every replica is back. */
async function backToReadWrite(ctx: RegistryGcContext): Promise<void> {
  if (!ctx.contact || !ctx.service || !ctx.configs) return;
  await rollTo(
    { ...ctx, contact: ctx.contact, service: ctx.service },
    ctx.configs.readWrite,
    `roll ${REGISTRY_SERVICE} back to read-write, one replica at a time`,
  );
  if (ctx.readOnlySince !== undefined && !ctx.changes.dryRun) ctx.readOnlyMs = Date.now() - ctx.readOnlySince;
  const docker = new HostDocker(ctx.contact);
  const name = ctx.configs.readOnly.name;
  if (ctx.changes.dryRun || (await docker.objectNames('config')).includes(name)) {
    await ctx.changes.apply(ctx.contact, `remove the read-only registry config ${name}`, () =>
      docker.objectRemove('config', [name]),
    );
  }
}

/**
 * Every replica to read-only (`storage.maintenance.readonly`), one at a time through a rolling update of
 * the service: a replica refuses pushes from its switch on and serves pulls throughout, the others serve
 * while it restarts. On any later failure its cleanup returns every replica to read-write.
 */
export const registryReadOnlyPhase: Phase<RegistryGcContext, 'contact' | 'service' | 'configs'> = {
  title: 'Switch every replica to read-only',
  needs: ['contact', 'service', 'configs'],
  async run(ctx, out) {
    out.report(ctx.contact.name, 'rolling out the read-only config, one replica at a time');
    ctx.readOnlySince = Date.now();
    await rollTo(ctx, ctx.configs.readOnly, `roll ${REGISTRY_SERVICE} to read-only, one replica at a time`);
  },
  cleanup: backToReadWrite,
};

/** Waits until no upload is in flight, measures the storage, runs the collector, measures again. */
export const registryCollectPhase: Phase<RegistryGcContext, 'collector'> = {
  title: 'Collect garbage',
  needs: ['collector'],
  async run(ctx, out) {
    // The replica the plan found was replaced by the switch to read-only: ask the host for its new one.
    const host = ctx.collector.host;
    const [container = ctx.collector.container] = ctx.changes.dryRun
      ? []
      : await new HostDocker(host).serviceContainers(REGISTRY_SERVICE);
    ctx.collector = { host, container };
    const path = storagePath(ctx);
    const dryRun = ctx.changes.dryRun;
    if (path !== undefined && !dryRun) {
      out.report(host.name, 'waiting until no upload is in flight');
      await waitForUploads(ctx, host, path);
    }
    if (path !== undefined) ctx.bytesBefore = await storageBytes(host, path);
    out.report(host.name, `running registry garbage-collect${dryRun ? ' --dry-run' : ''}`);
    const collect = async () => {
      const r = await new HostDocker(host).containerExec(
        container,
        collectorArgs({ dryRun, deleteUntagged: ctx.deleteUntagged }),
        { timeoutMs: COLLECT_TIMEOUT_MS, ...(ctx.signal && { signal: ctx.signal }) },
      );
      if (r.code !== 0) {
        throw new EectlError(`registry garbage-collect failed on ${host.name} (exit ${r.code})`, {
          code: 'EGC_FAILED',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: host.name,
          suggestions: [
            `What it said: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 300)}`,
            'Every replica is returned to read-write; fix the cause and run gc again.',
          ],
        });
      }
      ctx.report = parseCollectorOutput(r.stdout);
    };
    // The dry run is the collector's own: it reads and reports, and deletes nothing.
    if (dryRun) await collect();
    else
      await ctx.changes.apply(
        host,
        `run registry garbage-collect${ctx.deleteUntagged ? ' --delete-untagged' : ''}`,
        collect,
      );
    if (path !== undefined && !dryRun) ctx.bytesAfter = await storageBytes(host, path);
  },
};

/** Every replica back to read-write, one at a time; the read-only config removed. */
export const registryReadWritePhase: Phase<RegistryGcContext, 'contact' | 'service' | 'configs'> = {
  title: 'Switch every replica back to read-write',
  needs: ['contact', 'service', 'configs'],
  async run(ctx, out) {
    out.report(ctx.contact.name, 'rolling out the read-write config, one replica at a time');
    await backToReadWrite(ctx);
  },
};

async function storageBytes(host: Host, path: string): Promise<number> {
  const r = await host.sudo(['sh', '-c', STORAGE_BYTES_SCRIPT, 'eectl-storage-bytes', path], {
    timeoutMs: 600_000,
  });
  const bytes = Number(r.stdout.trim());
  if (!Number.isSafeInteger(bytes)) throw new Error(`du printed no size for ${path}: ${r.stdout.trim()}`);
  return bytes;
}

/** Bounded wait until no file under an `_uploads` dir was written in the last IN_FLIGHT_S seconds. */
async function waitForUploads(ctx: RegistryGcContext, host: Host, path: string): Promise<void> {
  const outcome = await pollUntil(
    async () => {
      const r = await host.sudo([
        'sh',
        '-c',
        UPLOADS_IN_FLIGHT_SCRIPT,
        'eectl-uploads',
        String(IN_FLIGHT_S),
        path,
      ]);
      const count = Number(r.stdout.trim());
      return count === 0 ? done(0) : pending(count);
    },
    { timeoutMs: UPLOADS_TIMEOUT_MS, intervalMs: 2000, ...(ctx.signal && { signal: ctx.signal }) },
  );
  if ('value' in outcome) return;
  throw new EectlError(
    `uploads were still being written under ${path} after ${UPLOADS_TIMEOUT_MS / 1000} s with every replica read-only; nothing was collected`,
    {
      code: 'EGC_UPLOADS',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: [
        'Something other than the registry replicas writes to the storage (another registry on the same path?): find it, then run gc again.',
      ],
    },
  );
}
