import { isIP } from 'node:net';
import { joinManager } from './converge/swarm-membership.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import { done, pending, pollUntil } from '../util/poll.js';
import type { RestoreContext } from './restore-guard.js';

/** How long a demotion may take to leave the Raft membership (a leader hands its leadership over first). */
const DEMOTE_TIMEOUT_MS = 90_000;

/** The comment on the temporary rule, so a reader of `iptables -t nat -S` sees whose it is. */
export const HANDOFF_RULE_COMMENT = 'eectl restore: raft hand-off';

/**
 * The temporary rule on the helper: its connections to the old address's swarm port go to the target's new
 * address instead. argv for `iptables`/`ip6tables -t nat -I|-D OUTPUT …` (never a shell).
 */
export function handOffRule(oldAddress: string, newAddress: string): { binary: string; spec: string[] } {
  const v6 = isIP(oldAddress) === 6;
  if (isIP(oldAddress) === 0 || isIP(newAddress) !== isIP(oldAddress)) {
    throw new EectlError(
      `cannot hand the Raft identity of ${oldAddress} over to ${newAddress}: both must be IP addresses of one family`,
      { code: 'ERESTORE_ADDRESS', kind: 'user', exitCode: ExitCode.preflight },
    );
  }
  return {
    binary: v6 ? 'ip6tables' : 'iptables',
    spec: [
      'OUTPUT',
      '-d',
      oldAddress,
      '-p',
      'tcp',
      '--dport',
      '2377',
      '-m',
      'comment',
      '--comment',
      HANDOFF_RULE_COMMENT,
      '-j',
      'DNAT',
      '--to-destination',
      v6 ? `[${newAddress}]:2377` : `${newAddress}:2377`,
    ],
  };
}

/**
 * Makes the restored manager advertise its new address everywhere, through operations the engine supports.
 *
 * `docker swarm init --force-new-cluster --advertise-addr NEW` keeps the restored manager's Raft member at
 * the address in the snapshot (swarmkit's loadAndStart keeps the member it finds; SetAddr runs before the
 * Raft node is a member and so changes nothing): every manager that joins is told to reach the leader at
 * the old address, and workers get it as their manager (for-linux#523). swarmkit changes a member's address
 * in one case only: a member that joins again. So the old identity is handed off instead of rewritten:
 *
 * 1. the helper (another manager of the file, or a worker for the hand-off only) gets a NAT rule of its own
 *    that sends its connections to OLD:2377 to NEW:2377, and joins as a manager — a quorum of two, where
 *    each reaches the other;
 * 2. the target is demoted: its Raft member, the only one that names OLD, leaves the membership;
 * 3. the target leaves the swarm, its old node is removed, and it joins again through the helper as a new
 *    manager at NEW; the rule is removed (also when a step fails);
 * 4. a temporary helper is demoted again, and every manager's Raft address is checked: none is OLD.
 */
export async function handOffRaftIdentity(
  ctx: RestoreContext,
  out: { report(host: string, line: string): void },
): Promise<void> {
  const mapping = ctx.mapping;
  const target = ctx.target;
  if (!mapping?.moved || !mapping.helper || !target) return;
  const helper = mapping.helper.host;
  const oldAddress = ctx.request.manifest.source.address;
  const rule = handOffRule(oldAddress, target.advertiseAddress);
  out.report(target.name, `handing the Raft identity of ${oldAddress} over to ${target.advertiseAddress}`);
  await ctx.changes.apply(
    helper,
    `add a temporary NAT rule: connections to ${oldAddress}:2377 (the restored Raft member's old address) go to ${target.advertiseAddress}:2377`,
    () => helper.sudo([rule.binary, '-w', '-t', 'nat', '-I', ...rule.spec]),
  );
  try {
    await joinManager(ctx, target, helper);
    const oldNodeId = target.facts?.swarm?.nodeId ?? '';
    await ctx.changes.apply(
      target,
      `demote ${target.name}: its Raft member, recorded at ${oldAddress}, leaves the quorum to ${helper.name}`,
      async () => {
        const docker = new HostDocker(helper);
        await docker.nodeUpdate(oldNodeId, { role: 'worker' });
        await waitUntilWorker(ctx, helper, oldNodeId, target.name);
      },
    );
    await ctx.changes.apply(target, 'leave the swarm; its old node is removed', async () => {
      await new HostDocker(target).swarmLeave(true);
      await new HostDocker(helper).nodeRemove(oldNodeId, true);
      if (target.facts) target.facts.swarm = await new HostDocker(target).swarmInfo();
    });
    await joinManager(ctx, helper, target);
  } finally {
    await ctx.changes.apply(helper, `remove the temporary NAT rule for ${oldAddress}:2377`, () =>
      helper.sudo([rule.binary, '-w', '-t', 'nat', '-D', ...rule.spec], { check: false }),
    );
  }
  if (mapping.helper.temporary) {
    await ctx.changes.apply(
      helper,
      'demote to a worker again (a manager for the hand-off only)',
      async () => {
        const id = helper.facts?.swarm?.nodeId ?? '';
        await new HostDocker(target).nodeUpdate(id, { role: 'worker' });
        await waitUntilWorker(ctx, target, id, helper.name);
        if (helper.facts) helper.facts.swarm = await new HostDocker(helper).swarmInfo();
      },
    );
  }
  if (ctx.changes.dryRun) return;
  const left = staleManagerAddresses(await new HostDocker(target).nodes(), ctx.hosts, oldAddress);
  if (left.length > 0) {
    throw new EectlError(
      `after the hand-off, managers still have Raft addresses outside the cluster file: ${left.join(', ')}`,
      {
        code: 'ERESTORE_READDRESS',
        kind: 'external',
        exitCode: ExitCode.partial,
        suggestions: [
          '`docker node inspect --format "{{.ManagerStatus.Addr}}"` on a manager shows each one.',
        ],
      },
    );
  }
  out.report(target.name, `every manager's Raft address is its new one; none is ${oldAddress}`);
}

/** `hostname (addr)` of every manager whose Raft address is the old one or no address of the file. */
export function staleManagerAddresses(
  nodes: readonly { hostname: string; role: string; managerAddr?: string }[],
  hosts: readonly Pick<Host, 'advertiseAddress'>[],
  oldAddress: string,
): string[] {
  const wanted = new Set(hosts.map((h) => h.advertiseAddress));
  return nodes
    .filter((n) => n.role === 'manager')
    .filter((n) => {
      const host = (n.managerAddr ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      return host === oldAddress || !wanted.has(host);
    })
    .map((n) => `${n.hostname} (${n.managerAddr ?? 'no address'})`);
}

async function waitUntilWorker(
  ctx: RestoreContext,
  contact: Host,
  nodeId: string,
  name: string,
): Promise<void> {
  const docker = new HostDocker(contact);
  const outcome = await pollUntil(
    async () => {
      const nodes = await docker.nodes().catch(() => []);
      const node = nodes.find((n) => n.id === nodeId);
      const leader = nodes.some((n) => n.leader);
      return node?.role === 'worker' && node.reachability === undefined && leader
        ? done(true)
        : pending(node ? `${node.role} ${node.reachability ?? ''}`.trim() : 'not listed');
    },
    { timeoutMs: DEMOTE_TIMEOUT_MS, intervalMs: 1000, signal: ctx.signal },
  );
  if ('value' in outcome) return;
  throw new EectlError(
    `${name} did not leave the Raft membership in ${DEMOTE_TIMEOUT_MS / 1000}s (${outcome.waiting})`,
    {
      code: 'ERESTORE_READDRESS',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: name,
      suggestions: [
        `\`docker node ls\` on ${contact.name} shows the managers; run restore again with --force to start over.`,
      ],
    },
  );
}
