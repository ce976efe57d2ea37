import { inSwarm, managers, type ClusterContext } from './runner/cluster-context.js';
import type { EncryptionKeys } from '../backup/keys.js';
import { MANIFEST_FORMAT, type Manifest } from '../backup/manifest.js';
import type { ManifestSigner } from '../backup/signature.js';
import { chooseBackupSource } from '../backup/source.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { parseIdNameLines, parseServiceInventory } from '../swarm/inventory.js';
import type { SwarmNode } from '../swarm/nodes.js';
import type { UnreachableHost } from '../results/report.js';
import { describeSigner, findManifestSigner } from './backup-signer.js';

/** What `eectl backup` is asked for. */
export interface BackupRequest {
  /** Where the archive goes (its folder exists). */
  out: string;
  keys: EncryptionKeys;
  includeRegistryData: boolean;
  keep?: number;
  /** The cluster file as read, put into the archive. */
  clusterFile: Buffer;
  eectlVersion: string;
  /** Asks before the one-manager outage (the command decides: prompt, --yes, or refuse). */
  confirmOutage: (message: string) => Promise<boolean>;
}

/** What the plan decided before anything is stopped. */
export interface BackupPlan {
  /** The manager whose engine is stopped for the copy. */
  source: Host;
  sourceNode: SwarmNode;
  /** True with one manager: the swarm cannot be managed during the copy (services keep running). */
  outage: boolean;
  unlockKey?: string;
  /** The registry host whose storage is copied (with --include-registry-data). */
  registryHost?: Host;
  registryPath?: string;
  manifest: Omit<Manifest, 'entries' | 'createdAt'>;
  /** The cluster CA the manifest is signed with (manifest.sig). */
  signer: ManifestSigner;
}

export interface BackupContext extends ClusterContext {
  unreachable: UnreachableHost[];
  request: BackupRequest;
  plan?: BackupPlan;
  written?: { path: string; bytes: number; manifest: Manifest };
  pruned: string[];
}

/** Reads the swarm from a reachable manager and decides where to copy from, before anything is stopped. */
export const backupPlanPhase: Phase<BackupContext> = {
  title: 'Plan the backup',
  async run(ctx, out) {
    const reachableManagers = managers(ctx).filter((m) => inSwarm(m) && m.facts?.swarm?.isManager);
    const contact = reachableManagers[0];
    if (!contact) {
      throw new EectlError('no manager of the file is in a swarm that eectl can reach; nothing was changed', {
        code: 'EBACKUP_NO_SWARM',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: ['Run `eectl status` to see the managers; a backup needs a running swarm.'],
      });
    }
    const docker = new HostDocker(contact);
    const nodes = await docker.nodes();
    const byNodeId = (h: Host) => nodes.find((n) => n.id === h.facts?.swarm?.nodeId);
    const addresses = reachableManagers.flatMap((h) => byNodeId(h)?.addr ?? []);
    const choice = chooseBackupSource(nodes, addresses);
    if (!choice.ok) {
      throw new EectlError(`cannot back up now: ${choice.reason}; nothing was changed`, {
        code: 'EBACKUP_QUORUM',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: choice.suggestions,
      });
    }
    const source = reachableManagers.find((h) => byNodeId(h)?.id === choice.node.id)!;
    out.report(source.name, `copy from ${choice.node.hostname} (not the leader)`);
    // Before anything is stopped (or asked): a backup that could not be signed is refused here.
    const signer = await findManifestSigner(ctx, source);
    out.report(source.name, `the manifest is signed with ${describeSigner(signer)}`);

    if (choice.outage && !ctx.changes.dryRun) {
      const question =
        `${source.name} is the only manager: it is drained (its tasks move to the other nodes, if there are ` +
        'any), and while its engine is stopped for the copy (seconds) the swarm cannot be managed. Go on?';
      if (!(await ctx.request.confirmOutage(question))) {
        throw new EectlError('backup cancelled: nothing was changed', {
          code: 'ECANCELLED',
          exitCode: ExitCode.failure,
        });
      }
    }

    const identity = await docker.swarmIdentity();
    const networks = parseIdNameLines(await docker.objectsWithIds('network'));
    const registry = registrySource(ctx);
    ctx.plan = {
      source,
      sourceNode: choice.node,
      outage: choice.outage,
      ...(identity.autolock ? { unlockKey: await docker.unlockKey() } : {}),
      ...registry,
      signer,
      manifest: {
        format: MANIFEST_FORMAT,
        eectlVersion: ctx.request.eectlVersion,
        cluster: ctx.config.metadata.name,
        swarmId: identity.id,
        source: { address: choice.address, nodeId: choice.node.id, hostname: choice.node.hostname },
        autolock: identity.autolock,
        registryData: registry.registryHost !== undefined,
        nodes: nodes.map((n) => ({
          hostname: n.hostname,
          address: n.addr,
          role: n.role,
          engineVersion: n.engineVersion,
          id: n.id,
        })),
        services: parseServiceInventory(await docker.inspectAllServices(), networks),
        secrets: parseIdNameLines(await docker.objectsWithIds('secret')),
        configs: parseIdNameLines(await docker.objectsWithIds('config')),
        networks,
      },
    };
  },
};

/** With --include-registry-data: the first reachable registry host, whose storage path every replica shares. */
function registrySource(ctx: BackupContext): { registryHost?: Host; registryPath?: string } {
  if (!ctx.request.includeRegistryData) return {};
  const storage = ctx.config.spec.registry.storage;
  if (!('filesystem' in storage)) {
    throw new UsageError('--include-registry-data: the registry keeps its images in S3, not on a host', {
      code: 'EBACKUP_REGISTRY_S3',
      suggestions: ["Leave the images to the bucket's own versioning or replication, and drop the flag."],
    });
  }
  const registryHost = ctx.hosts.find((h) => h.role === 'registry');
  if (!registryHost) {
    throw new UsageError('--include-registry-data: no registry host of the file can be reached', {
      code: 'EBACKUP_NO_REGISTRY',
      suggestions: ['Check the registry hosts with `eectl status`, or back up without the flag.'],
    });
  }
  return { registryHost, registryPath: storage.filesystem.path };
}
