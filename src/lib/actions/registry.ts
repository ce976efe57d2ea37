import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import type { ActionOptions } from '../phases/runner/cluster-context.js';
import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import {
  managerActionContext,
  managerLockPhase,
  nodeConnectPhase,
  reachManagers,
  readOnlyManagerContext,
} from '../phases/node-connect.js';
import {
  registryCollectPhase,
  registryGcPlanPhase,
  registryReadOnlyPhase,
  registryReadWritePhase,
  type RegistryGcContext,
} from '../phases/registry-gc.js';
import {
  keptLogin,
  registryPruneDeletePhase,
  registryPrunePlanPhase,
  type RegistryPruneContext,
} from '../phases/registry-prune.js';
import { clusterRegistryClient, readRegistry, trustedKeys } from '../registry/catalog.js';
import type { Logger } from '../util/log.js';
import type {
  PrunedRepository,
  RegistryGcResult,
  RegistryListResult,
  RegistryPruneResult,
} from '../results/registry.js';

/** What `eectl registry gc` is given. */
export interface RegistryGcOptions extends ActionOptions {
  deleteUntagged: boolean;
  confirm: (replicas: number) => Promise<void>;
}

/**
 * `eectl registry gc`: lock → reach a manager → plan (refuse unshared storage under several replicas) →
 * every replica read-only, one at a time → wait for uploads, collect → every replica read-write again
 * (also when collecting failed: the read-only phase's cleanup).
 */
export const REGISTRY_GC_PHASES: AnyPhase<RegistryGcContext>[] = [
  managerLockPhase('registry gc'),
  nodeConnectPhase,
  registryGcPlanPhase,
  registryReadOnlyPhase,
  registryCollectPhase,
  registryReadWritePhase,
];

/** Runs `eectl registry gc` (see REGISTRY_GC_PHASES). */
export async function registryGc(options: RegistryGcOptions): Promise<RegistryGcResult> {
  const ctx: RegistryGcContext = {
    ...managerActionContext(options),
    deleteUntagged: options.deleteUntagged,
    confirm: options.confirm,
  };
  const report = await runAction(REGISTRY_GC_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  const freed =
    ctx.bytesBefore !== undefined && ctx.bytesAfter !== undefined
      ? ctx.bytesBefore - ctx.bytesAfter
      : undefined;
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    deleteUntagged: options.deleteUntagged,
    replicas: setByPhases(ctx.replicas, 'the replicas counted'),
    ...(ctx.collector && { collectedOn: ctx.collector.host.name }),
    ...(ctx.report && { collector: ctx.report }),
    ...(ctx.bytesBefore !== undefined && { bytesBefore: ctx.bytesBefore }),
    ...(ctx.bytesAfter !== undefined && { bytesAfter: ctx.bytesAfter }),
    ...(freed !== undefined && { bytesFreed: freed }),
    ...(ctx.readOnlyMs !== undefined && { readOnlyMs: ctx.readOnlyMs }),
    changes: ctx.changes.entries,
    ...report,
  };
}

/** What `eectl registry prune` is given. */
export interface RegistryPruneOptions extends ActionOptions {
  confirm: (plan: PrunedRepository[]) => Promise<void>;
  now?: Date;
}

/** `eectl registry prune`: lock → reach a manager → read the registry and judge every tag → delete by digest. */
export const REGISTRY_PRUNE_PHASES: AnyPhase<RegistryPruneContext>[] = [
  managerLockPhase('registry prune'),
  nodeConnectPhase,
  registryPrunePlanPhase,
  registryPruneDeletePhase,
];

/** Runs `eectl registry prune` (see REGISTRY_PRUNE_PHASES). */
export async function registryPrune(options: RegistryPruneOptions): Promise<RegistryPruneResult> {
  const ctx: RegistryPruneContext = {
    ...managerActionContext(options),
    now: options.now ?? new Date(),
    confirm: options.confirm,
  };
  const report = await runAction(REGISTRY_PRUNE_PHASES, ctx, options.progress, async () =>
    ctx.lock?.release(),
  );
  const repositories = setByPhases(ctx.plan, 'a prune plan');
  return {
    cluster: options.config.metadata.name,
    registry: setByPhases(ctx.registry, 'the registry reached'),
    dryRun: options.dryRun,
    repositories,
    prunedTags: repositories.reduce((n, r) => n + r.tags.filter((t) => !t.keep).length, 0),
    changes: ctx.changes.entries,
    ...report,
  };
}

/** What `eectl registry ls` is given. */
export interface RegistryListOptions {
  config: ClusterConfig;
  session: Session;
  log: Logger;
  repository?: string;
}

/**
 * `eectl registry ls`: repositories, tags, digests, sizes and trusted signatures, through the registry's
 * API. Read-only: no lock. A manager is reached only for what it keeps to log in with (keptLogin), when
 * this machine has no registry login.
 */
export async function registryList(options: RegistryListOptions): Promise<RegistryListResult> {
  const { config, log } = options;
  const kept = async () => {
    const ctx = readOnlyManagerContext(config, (spec) => options.session.connect(spec), log);
    return keptLogin(config, await reachManagers(ctx));
  };
  const { client, registry } = await clusterRegistryClient(config, log, kept);
  const repositories = await readRegistry(client, trustedKeys(config), options.repository);
  return { cluster: config.metadata.name, registry, repositories };
}
