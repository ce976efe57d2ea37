import { extractToHosts, type ExtractRoute } from '../backup/extract.js';
import { readdressSwarmState, SWARM_STATE_FILE } from '../backup/swarm-state.js';
import { HostDocker } from '../swarm/docker.js';
import { gatherFacts } from '../host/facts.js';
import type { Host } from '../host/host.js';
import type { Step } from '../host/os/index.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { convergeEngine } from './converge/engine.js';
import { REGISTRY_DATA_PREFIX } from './backup-write.js';
import { EECTL_ETC_DIR, SWARM_PARENT_DIR } from '../host-layout.js';
import type { RestoreContext } from './restore-guard.js';
import { handOffRaftIdentity } from './restore-readdress.js';
import { ROLLING_DRAIN_LABEL } from './rolling/roll.js';

/**
 * Puts eectl's files back before install's phases read them: the CA and API certificates and the registry's
 * files on the target manager (so the same CA signs, and the registry keeps its users and certificate), and
 * the registry's storage on the first registry host when the archive has it.
 */
export const restoreFilesPhase: Phase<RestoreContext, 'target'> = {
  title: 'Put back certificates and registry files',
  needs: ['target'],
  async run(ctx, out) {
    const target = ctx.target;
    const routes: ExtractRoute[] = [
      { prefix: 'pki/', host: target, dir: EECTL_ETC_DIR, strip: false },
      { prefix: 'registry/', host: target, dir: EECTL_ETC_DIR, strip: false },
    ];
    const storage = ctx.config.spec.registry.storage;
    const registryHost = ctx.hosts.find((h) => h.role === 'registry');
    if (ctx.request.manifest.registryData && registryHost && 'filesystem' in storage) {
      routes.push({
        prefix: `${REGISTRY_DATA_PREFIX}/`,
        host: registryHost,
        dir: storage.filesystem.path,
        strip: true,
      });
    }
    const hosts = [...new Set(routes.map((r) => r.host))];
    const describe = (h: Host) =>
      routes
        .filter((r) => r.host === h)
        .map((r) => `${r.prefix.replace(/\/$/, '')} into ${r.dir}`)
        .join(', ');
    for (const h of hosts) out.report(h.name, `put back ${describe(h)}`);
    await ctx.changes.apply(
      { name: hosts.map((h) => h.name).join(', '), log: target.log },
      `put back ${hosts.map((h) => `${describe(h)} on ${h.name}`).join('; ')}`,
      () => extractToHosts(ctx.request.archive, ctx.request.keys, routes, ctx.request.manifest),
    );
    // The next phases (CA, registry) decide from the facts: they must see the files that are back.
    if (!ctx.changes.dryRun) {
      await mapAll(hosts, ctx.concurrency, async (host) => {
        host.facts = await gatherFacts(host.conn, ctx.signal);
      });
    }
  },
};

/**
 * The swarm comes back on the target manager: the engines installed as install does, the hosts that are in a
 * swarm leave it (--force), the swarm state put in place with the engine stopped, then started as a new
 * one-manager cluster (`--force-new-cluster`, its own address) that keeps every object of the backup. The
 * nodes of the old cluster are removed, so the hosts join again as new nodes in install's next phase. When
 * the target advertises another address than the source did, its Raft identity is handed off first
 * (handOffRaftIdentity).
 */
export const restoreSwarmPhase: Phase<RestoreContext, 'target'> = {
  title: 'Restore the swarm on the first manager',
  needs: ['target'],
  async run(ctx, out) {
    const target = ctx.target;
    const m = ctx.request.manifest;
    for (const host of ctx.replacing.filter((h) => h !== target)) {
      await ctx.changes.apply(host, 'leave the swarm the restore replaces', async () => {
        await new HostDocker(host).swarmLeave(true);
        host.facts!.swarm = await new HostDocker(host).swarmInfo();
      });
    }
    // Every engine at once (install's own step, which the next phase then finds done): the target's swarm
    // start does not wait on the slowest host's packages, nor do the others wait on the target's.
    await mapAll(ctx.hosts, ctx.concurrency, (host) => convergeEngine(ctx, host, out));
    await ctx.changes.apply(
      target,
      `put back the swarm state of ${m.source.hostname} (swarm ${m.swarmId}) and start it with --force-new-cluster, advertising ${target.advertiseAddress}`,
      async () => {
        const docker = new HostDocker(target);
        const service = serviceManagerFor(target.known.initSystem);
        await runSteps(target, service.stop('docker'));
        await target.sudo(['rm', '-rf', '--one-file-system', `${SWARM_PARENT_DIR}/swarm`]);
        out.report(target.name, 'putting back the swarm state');
        await extractToHosts(
          ctx.request.archive,
          ctx.request.keys,
          [{ prefix: 'swarm/', host: target, dir: SWARM_PARENT_DIR, strip: false }],
          ctx.request.manifest,
        );
        if (ctx.mapping?.moved) await readdressStartConfig(target, m.source.address, out);
        await runSteps(target, service.enableAndStart('docker'));
        await docker.waitUntilUp();
        if (ctx.request.unlockKey) await docker.swarmUnlock(ctx.request.unlockKey);
        out.report(target.name, 'starting the restored swarm (--force-new-cluster)');
        await docker.swarmForceNewCluster(target.advertiseAddress);
        target.facts!.swarm = await docker.swarmInfo();
        await removeOldNodes(target, out);
        await activateIfDrainedForCopy(target, out);
      },
    );
    ctx.swarmManager = target;
    // At a new address, the restored Raft member still names the old one: it is handed off (see there).
    await handOffRaftIdentity(ctx, out);
    ctx.swarmManager = target;
    // Install's next phase decides from the facts: read them again, so it finds the engines it would install.
    if (!ctx.changes.dryRun) {
      await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
        host.facts = await gatherFacts(host.conn, ctx.signal);
      });
    }
  },
};

/** The restored docker-state.json gets the target's address before the engine reads it (readdressSwarmState). */
async function readdressStartConfig(
  target: Host,
  oldAddress: string,
  out: { report(host: string, line: string): void },
): Promise<void> {
  const path = `${SWARM_PARENT_DIR}/swarm/${SWARM_STATE_FILE}`;
  const current = (await target.sudo(['cat', path])).stdout;
  const { text, changed } = readdressSwarmState(current, oldAddress, target.advertiseAddress);
  if (changed.length === 0) return;
  await target.sudo(['sh', '-c', 'umask 077 && cat > "$1"', 'sh', path], { stdin: text });
  out.report(target.name, `${SWARM_STATE_FILE}: ${changed.join(', ')} now name ${target.advertiseAddress}`);
}

async function runSteps(host: Host, steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'command')
      await host.exec(step.command, { sudo: step.sudo, check: step.check, timeoutMs: 120_000 });
  }
}

/** The old cluster's other nodes are gone (fresh hosts) or leave (--force): their entries go, managers demoted first. */
/**
 * The restored manager keeps its node object from the snapshot, as it was when the backup copied it: the
 * backup's rolling turn drains the source node before it stops its engine (rolling/roll.ts labels it), so
 * the restored node would stay drained and run no task, not even a global service's. Made active again.
 */
async function activateIfDrainedForCopy(
  target: Host,
  out: { report(host: string, line: string): void },
): Promise<void> {
  const docker = new HostDocker(target);
  const self = target.facts?.swarm?.nodeId;
  const node = (await docker.nodes()).find((n) => n.id === self);
  if (!node || node.labels[ROLLING_DRAIN_LABEL] === undefined) return;
  out.report(
    target.name,
    `activating ${node.hostname} again (drained by the backup's turn when it was copied)`,
  );
  await docker.nodeUpdate(node.id, { availability: 'active', removeLabels: [ROLLING_DRAIN_LABEL] });
}

async function removeOldNodes(
  target: Host,
  out: { report(host: string, line: string): void },
): Promise<void> {
  const docker = new HostDocker(target);
  const self = target.facts?.swarm?.nodeId;
  const stale = (await docker.nodes()).filter((n) => n.id !== self);
  for (const node of stale) {
    out.report(target.name, `removing the old node ${node.hostname} (${node.id})`);
    if (node.role === 'manager') await docker.nodeUpdate(node.id, { role: 'worker' }).catch(() => undefined);
    await docker.nodeRemove(node.id, true);
  }
}
