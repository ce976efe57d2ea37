import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { connectPhaseFor } from '../phases/connect.js';
import { excludedHostsPhase } from '../phases/excluded-hosts.js';
import { convergePhase } from '../phases/converge.js';
import { engineVersionPhase } from '../phases/engine-version.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { hooksPhase } from '../phases/hooks.js';
import { installRecordPhase } from '../phases/install-record.js';
import { labelNodesPhase } from '../phases/label-nodes.js';
import { lockPhase } from '../phases/lock.js';
import { packageSourcePhase } from '../phases/package-source.js';
import { packageProxyPhase } from '../phases/proxy.js';
import { pkiPhase } from '../phases/pki.js';
import { rollingRestartPhase } from '../phases/rolling-restart.js';
import { daemonConfigPhase } from '../phases/daemon-config.js';
import { filesCheckPhase } from '../phases/files-check.js';
import { preflightPhase } from '../phases/preflight.js';
import { readDirectoryPhase } from '../phases/identity.js';
import { imageBundlesPhase } from '../phases/image-bundles.js';
import { ingressPhase } from '../phases/ingress.js';
import { registryDeployPhase } from '../phases/registry-deploy.js';
import { registryWebhooksPhase } from '../phases/registry-webhooks.js';
import { registryPlanPhase } from '../phases/registry-plan.js';
import { registryTrustPhase } from '../phases/registry-trust.js';
import { waitReadyPhase } from '../phases/wait-ready.js';
import { nodeRow } from './node-action.js';
import { describeQuorum } from '../swarm/quorum.js';
import { managerCounts } from '../swarm/nodes.js';
import {
  excludedNames,
  newClusterContext,
  type ActionOptions,
  type ClusterContext,
} from '../phases/runner/cluster-context.js';
import type { InstallResult } from '../results/install.js';

/** `eectl install`: file → lock → facts → excluded hosts → preflight → directory → daemon.json and files checked → hooks before → install records → CA → package proxies and sources → version → engines + API + files + swarm → labels → bundles → Ready → registry → ingress → hooks after. */
export const INSTALL_PHASES: AnyPhase<ClusterContext>[] = [
  connectPhaseFor('install'),
  lockPhase,
  gatherFactsPhase,
  // --exclude: the quorum of the managers left is checked before anything else is decided.
  excludedHostsPhase,
  preflightPhase,
  readDirectoryPhase,
  daemonConfigPhase,
  filesCheckPhase,
  // After every check, before the first change: a failing hook leaves every host as it was.
  hooksPhase('install', 'before'),
  installRecordPhase,
  pkiPhase,
  registryPlanPhase,
  packageProxyPhase,
  packageSourcePhase,
  engineVersionPhase,
  convergePhase,
  rollingRestartPhase(),
  labelNodesPhase,
  imageBundlesPhase,
  registryTrustPhase,
  waitReadyPhase,
  registryWebhooksPhase,
  registryDeployPhase,
  ingressPhase,
  hooksPhase('install', 'after'),
];

/** What install is given. */
export type InstallOptions = ActionOptions;

export async function install(options: InstallOptions): Promise<InstallResult> {
  const ctx: ClusterContext = { ...newClusterContext(options), hooks: { action: 'install', runs: [] } };

  const report = await runAction(INSTALL_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  const nodes = ctx.nodes ?? [];
  const counts = nodes.length > 0 ? managerCounts(nodes) : undefined;
  const [firstVersion] = ctx.engineVersions.values();
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    converged: ctx.changes.count === 0,
    changes: ctx.changes.entries,
    hooks: ctx.hooks?.runs ?? [],
    warnings: ctx.warnings ?? [],
    engineVersion: firstVersion,
    nodes: nodes.map(nodeRow),
    quorum: counts ? { ...counts, description: describeQuorum(counts) } : undefined,
    ...report,
    ...(ctx.rollingPreview && { rolling: ctx.rollingPreview }),
    ...(ctx.excluded && { excluded: excludedNames(ctx) }),
    ...(ctx.registry && {
      registry: {
        replicas: ctx.registry.replicas,
        ...(ctx.registry.mirrors.length > 0 && { mirrors: ctx.registry.mirrorReplicas }),
        ...(!options.dryRun && { adminPassword: ctx.registry.generatedAdminPassword }),
      },
    }),
  };
}
