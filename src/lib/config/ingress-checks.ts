import type { ConfigProblem } from './problems.js';
import { SWARM_PORTS } from './fields.js';
import type { ControlPlaneSpec, HostSpec, IngressSpec, RegistrySpec, SwarmSpec } from './schema.js';
import type { Locator } from './source.js';

/**
 * spec.ingress against the rest of the file: every proxy node is a host of the file, named once; its two
 * ports differ and are not a port the swarm, the engine API or the registry listens on; one node is
 * warned about (no high availability).
 */
export function ingressProblems(
  ingress: IngressSpec,
  others: {
    hosts: readonly HostSpec[];
    controlPlane?: ControlPlaneSpec | undefined;
    registry?: RegistrySpec | undefined;
    swarm?: SwarmSpec | undefined;
  },
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = ['spec', 'ingress'];
  const addresses = new Set(others.hosts.map((h) => h.address));
  const seen = new Map<string, number>();
  ingress.nodes.forEach((node, i) => {
    const first = seen.get(node);
    if (first !== undefined) {
      problems.push(
        loc.problem('error', [...at, 'nodes', i], `${node} is listed twice (nodes[${first}] has it)`),
      );
    } else if (!addresses.has(node)) {
      const message = `${node} is not a host of spec.hosts: list it there (any role) or name another`;
      problems.push(loc.problem('error', [...at, 'nodes', i], message));
    }
    seen.set(node, first ?? i);
  });
  if (seen.size === 1) {
    const message = '1 ingress node: no high availability (list two or more for traffic to survive a node)';
    problems.push(loc.problem('warning', [...at, 'nodes'], message));
  }
  const { http, https } = ingress.ports;
  if (http === https) {
    problems.push(
      loc.problem('error', [...at, 'ports', 'https'], `http and https would both listen on ${http}`),
    );
  }
  const taken = new Map<number, string>(
    (SWARM_PORTS as readonly number[]).map((p) => [p, `the swarm's port ${p}`]),
  );
  if (others.swarm) taken.set(others.swarm.dataPathPort, "the swarm's data path port");
  if (others.controlPlane) taken.set(others.controlPlane.apiPort, "the engine API's port");
  if (others.registry) taken.set(others.registry.port, "the registry's port");
  for (const [name, value] of [
    ['http', http],
    ['https', https],
  ] as const) {
    const clash = taken.get(value);
    if (clash) {
      problems.push(
        loc.problem('error', [...at, 'ports', name], `${value} is ${clash}: choose another port`),
      );
    }
  }
  return problems;
}
