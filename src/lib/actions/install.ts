import type { AnyPhase } from '../phase/phase.js';
import { runAction } from '../phase/runner.js';
import { connectPhase } from '../phases/connect.js';
import { convergePhase } from '../phases/converge.js';
import { engineVersionPhase } from '../phases/engine-version.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { installRecordPhase } from '../phases/install-record.js';
import { labelNodesPhase } from '../phases/label-nodes.js';
import { lockPhase } from '../phases/lock.js';
import { packageSourcePhase } from '../phases/package-source.js';
import { packageProxyPhase } from '../phases/proxy.js';
import { pkiPhase } from '../phases/pki.js';
import { rollingRestartPhase } from '../phases/rolling-restart.js';
import { daemonConfigPhase } from '../phases/daemon-config.js';
import { preflightPhase } from '../phases/preflight.js';
import { readDirectoryPhase } from '../phases/identity.js';
import { imageBundlesPhase } from '../phases/image-bundles.js';
import { ingressPhase } from '../phases/ingress.js';
import { registryDeployPhase } from '../phases/registry-deploy.js';
import { registryPlanPhase } from '../phases/registry-plan.js';
import { registryTrustPhase } from '../phases/registry-trust.js';
import { waitReadyPhase } from '../phases/wait-ready.js';
import { describeQuorum } from '../swarm/quorum.js';
import { managerCounts } from '../swarm/nodes.js';
import { newClusterContext, type ActionOptions, type ClusterContext } from '../phase/cluster-context.js';
import type { InstallResult } from '../ui/results.js';

/** `eectl install`: file → lock → facts → preflight → directory → install records → CA → package proxies and sources → version → engines + API + swarm → labels → bundles → Ready → registry. */
export const INSTALL_PHASES: AnyPhase<ClusterContext>[] = [
  connectPhase,
  lockPhase,
  gatherFactsPhase,
  preflightPhase,
  readDirectoryPhase,
  daemonConfigPhase,
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
  registryDeployPhase,
  ingressPhase,
];

/** What install is given. */
export type InstallOptions = ActionOptions;

export async function install(options: InstallOptions): Promise<InstallResult> {
  const ctx = newClusterContext(options);

  const report = await runAction(INSTALL_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  const nodes = ctx.nodes ?? [];
  const counts = nodes.length > 0 ? managerCounts(nodes) : undefined;
  const [firstVersion] = ctx.engineVersions.values();
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    converged: ctx.changes.count === 0,
    changes: ctx.changes.entries,
    warnings: ctx.warnings ?? [],
    engineVersion: firstVersion,
    nodes: nodes.map((n) => ({
      hostname: n.hostname,
      address: n.addr,
      role: n.role,
      state: n.state,
      availability: n.availability,
      leader: n.leader,
      reachability: n.reachability,
      engineVersion: n.engineVersion,
    })),
    quorum: counts ? { ...counts, description: describeQuorum(counts) } : undefined,
    ...report,
    ...(ctx.rollingPreview && { rolling: ctx.rollingPreview }),
    ...(ctx.registry && {
      registry: {
        replicas: ctx.registry.replicas,
        ...(!options.dryRun && { adminPassword: ctx.registry.generatedAdminPassword }),
      },
    }),
  };
}

export type { InstallResult } from '../ui/results.js';
