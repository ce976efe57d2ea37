import type { NodeContext } from '../actions/node-context.js';
import type { HostSpec } from '../config/schema.js';
import { UsageError, toEectlError } from '../errors.js';
import { HostDocker } from '../host/docker.js';
import { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';
import type { SwarmNode } from '../swarm/nodes.js';

/** The swarm address a file host's node shows (its privateAddress, else the address eectl logs in to). */
const advertised = (spec: HostSpec): string => spec.privateAddress ?? spec.address;

/**
 * Finds the node a command is about, by the file's address, the node's hostname, its ID or its swarm
 * address. A host's own node ID wins over addresses, which can differ (SSH to a public address, swarm on
 * a private one).
 */
export function findNode(
  target: string,
  spec: HostSpec | undefined,
  nodes: readonly SwarmNode[],
  ownNodeId: string | undefined,
): SwarmNode | undefined {
  if (ownNodeId) return nodes.find((n) => n.id === ownNodeId);
  if (spec) return nodes.find((n) => n.addr === advertised(spec));
  return (
    nodes.find((n) => n.hostname === target || n.id === target || n.addr === target) ??
    (target.length >= 6 ? nodes.find((n) => n.id.startsWith(target)) : undefined)
  );
}

/**
 * Lists the nodes through the contact and finds the target in the file and in the swarm; connects to the
 * target host when the file lists it (a failure is remembered for the checks: only --force goes on).
 */
export const nodeTargetPhase: Phase<NodeContext> = {
  title: 'Find the node',
  async run(ctx, out) {
    ctx.nodes = await new HostDocker(ctx.contact!).nodes();
    let spec = ctx.config.spec.hosts.find((h) => h.address === ctx.target);
    if (spec) await reachTarget(ctx, spec);
    ctx.node = findNode(ctx.target, spec, ctx.nodes, ctx.swarm.get(spec?.address ?? '')?.nodeId);
    if (!spec && ctx.node) {
      spec = ctx.config.spec.hosts.find((h) => advertised(h) === ctx.node!.addr);
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
    if (ctx.node && ctx.swarm.get(ctx.contact!.name)?.nodeId === ctx.node.id) {
      ctx.contact = (await ctx.nextContact?.()) ?? ctx.contact;
    }
    const where = ctx.node
      ? `${ctx.node.role}, ${ctx.node.state}, ${ctx.node.availability}`
      : 'not in the swarm';
    out.report(spec?.address ?? ctx.target, `${where}${spec ? '' : ', not in the file'}`);
  },
};

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
