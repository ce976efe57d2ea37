import type { NodeContext } from './runner/node-context.js';
import type { HostSpec } from '../config/schema.js';
import { EectlError, ExitCode, UsageError, toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { ADDRESS_LABEL, nodesOfHost, type SwarmNode } from '../swarm/nodes.js';

/** The swarm address a file host's node shows (its privateAddress, else the address eectl logs in to). */
const advertised = (spec: HostSpec): string => spec.privateAddress ?? spec.address;

/**
 * Finds the node a command is about. A host of the file by nodesOfHost (its own node ID, else the address
 * label install put on its node, else the address or hostname it shows): undefined when that finds none
 * or several. Else by the node's hostname, its ID (or a prefix of six characters or more) or its address.
 */
export function findNode(
  target: string,
  spec: HostSpec | undefined,
  nodes: readonly SwarmNode[],
  ownNodeId: string | undefined,
): SwarmNode | undefined {
  if (spec) {
    const candidates = nodesOfHost(spec, nodes, ownNodeId);
    return candidates.length === 1 ? candidates[0] : undefined;
  }
  if (ownNodeId) return nodes.find((n) => n.id === ownNodeId);
  return (
    nodes.find((n) => n.hostname === target || n.id === target || n.addr === target) ??
    (target.length >= 6 ? nodes.find((n) => n.id.startsWith(target)) : undefined)
  );
}

/**
 * Lists the nodes through the contact and finds the target in the file and in the swarm; connects to the
 * target host when the file lists it (a failure is remembered for the checks: only --force goes on).
 */
export const nodeTargetPhase: Phase<NodeContext, 'contact'> = {
  title: 'Find the node',
  needs: ['contact'],
  async run(ctx, out) {
    ctx.nodes = await new HostDocker(ctx.contact).nodes();
    let spec = ctx.config.spec.hosts.find((h) => h.address === ctx.target);
    if (spec) await reachTarget(ctx, spec);
    ctx.node = findNode(ctx.target, spec, ctx.nodes, ctx.swarm.get(spec?.address ?? '')?.nodeId);
    const unmatched = spec && !ctx.node ? unmatchedError(ctx, spec) : undefined;
    if (unmatched) throw unmatched;
    if (!spec && ctx.node) {
      const node = ctx.node;
      spec =
        ctx.config.spec.hosts.find((h) => node.labels[ADDRESS_LABEL] === h.address) ??
        ctx.config.spec.hosts.find(
          (h) => node.labels[ADDRESS_LABEL] === undefined && advertised(h) === node.addr,
        );
      if (spec) await reachTarget(ctx, spec);
    }
    ctx.spec = spec;
    if (!spec && !ctx.node) {
      throw new UsageError(`${ctx.target} is neither a host of ${ctx.file.path} nor a node of the swarm`, {
        code: 'ENODE_UNKNOWN',
        suggestions: [
          `Name a node by its address in the file, its hostname or its ID: ${ctx.nodes.map((n) => `${n.addr} (${n.hostname})`).join(', ')}`,
          'See them all with `eectl node ls`.',
        ],
      });
    }
    // Commands go through another manager when the target is one: it may stop being one.
    if (ctx.node && ctx.swarm.get(ctx.contact.name)?.nodeId === ctx.node.id) {
      ctx.contact = (await ctx.nextContact?.()) ?? ctx.contact;
    }
    const where = ctx.node
      ? `${ctx.node.role}, ${ctx.node.state}, ${ctx.node.availability}`
      : 'not in the swarm';
    out.report(spec?.address ?? ctx.target, `${where}${spec ? '' : ', not in the file'}`);
  },
};

/**
 * A host of the file that matches no node is out of the swarm only when its own engine says so. Otherwise
 * (host or engine not answering, or several nodes match) eectl cannot tell which node it is: going on
 * would skip every swarm step and leave its node behind (a dead manager would stay in Raft), so refuse.
 */
export function unmatchedError(
  ctx: Pick<NodeContext, 'command' | 'file' | 'nodes' | 'swarm' | 'host' | 'hostError' | 'contact'>,
  spec: HostSpec,
): EectlError | undefined {
  const own = ctx.swarm.get(spec.address);
  if (ctx.host && own?.state === 'inactive') return undefined;
  const candidates = nodesOfHost(spec, ctx.nodes, own?.nodeId);
  const why = own?.nodeId
    ? `its engine reports node ${own.nodeId}, which the swarm of ${ctx.contact?.name ?? 'the managers'} does not have`
    : candidates.length > 1
      ? `${candidates.length} nodes match it (${candidates.map((n) => `${n.id.slice(0, 12)} ${n.hostname} ${n.addr}`).join(', ')})`
      : `${ctx.host ? 'its engine does not answer' : `it cannot be reached (${ctx.hostError?.message.split('\n')[0] ?? 'unknown error'})`}, and no node carries the label ${ADDRESS_LABEL}=${spec.address} or shows the address ${advertised(spec)}`;
  return new EectlError(
    `refusing to ${ctx.command} ${spec.address}: eectl cannot tell which swarm node it is: ${why}; nothing was changed`,
    {
      code: 'ENODE_UNMATCHED',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        `Find its node with \`eectl node ls\` (or \`docker node ls\` on a manager), then either set privateAddress in ${ctx.file.path} to the address that node shows, or label it on a manager: docker node update --label-add ${ADDRESS_LABEL}=${spec.address} NODE-ID; and run the command again.`,
        'Clusters installed by this version of eectl carry that label on every node (install adds it).',
      ],
    },
  );
}

async function reachTarget(ctx: NodeContext, spec: HostSpec): Promise<void> {
  const manager = ctx.managers.find((m) => m.name === spec.address);
  if (manager) {
    ctx.host = manager;
    return;
  }
  const known = ctx.unreachable.get(spec.address);
  if (known) {
    ctx.hostError = known;
    return;
  }
  try {
    ctx.host = new Host(spec, await ctx.connect(spec));
    ctx.swarm.set(spec.address, await new HostDocker(ctx.host).swarmInfo().catch(() => undefined));
  } catch (error) {
    ctx.hostError = toEectlError(error);
    ctx.log.warn(`${spec.address}: unreachable (${ctx.hostError.message.split('\n')[0]})`);
  }
}
