import { describe, expect, it } from 'vitest';
import { HEAD, lines, THREE_MANAGERS } from './helpers.js';

const withIngress = (ingress: string) => `${HEAD}${THREE_MANAGERS}    - { address: 10.0.0.4, role: worker }
    - { address: 10.0.0.5, role: worker }
  ingress:
${ingress}`;

describe('spec.ingress against the rest of the file', () => {
  it('accepts two worker nodes with the default image and ports', () => {
    expect(lines(withIngress('    nodes: [10.0.0.4, 10.0.0.5]\n'))).toEqual([]);
  });

  it('refuses a node that is not a host of the file, and one listed twice', () => {
    expect(lines(withIngress('    nodes: [10.0.0.4, 10.0.0.9, 10.0.0.4]\n'))).toEqual([
      'cluster.yaml:16:23: spec.ingress.nodes[1]: 10.0.0.9 is not a host of spec.hosts: list it there (any role) or name another',
      'cluster.yaml:16:33: spec.ingress.nodes[2]: 10.0.0.4 is listed twice (nodes[0] has it)',
    ]);
  });

  it('warns about one node (no high availability)', () => {
    expect(lines(withIngress('    nodes: [10.0.0.4]\n'))).toEqual([
      'cluster.yaml:16:12: warning: spec.ingress.nodes: 1 ingress node: no high availability (list two or more for traffic to survive a node)',
    ]);
  });

  it("refuses ports that clash with each other, the swarm's or the engine API's", () => {
    expect(
      lines(withIngress('    nodes: [10.0.0.4, 10.0.0.5]\n    ports: { http: 2377, https: 2376 }\n')),
    ).toEqual([
      "cluster.yaml:17:20: spec.ingress.ports.http: 2377 is the swarm's port 2377: choose another port",
      "cluster.yaml:17:33: spec.ingress.ports.https: 2376 is the engine API's port: choose another port",
    ]);
    expect(
      lines(withIngress('    nodes: [10.0.0.4, 10.0.0.5]\n    ports: { http: 8080, https: 8080 }\n')),
    ).toEqual(['cluster.yaml:17:33: spec.ingress.ports.https: http and https would both listen on 8080']);
  });

  it('refuses a network name that is not one', () => {
    const problems = lines(withIngress('    nodes: [10.0.0.4, 10.0.0.5]\n    network: "a b"\n'));
    expect(problems.join('\n')).toMatch(/spec\.ingress\.network: must be a network name/);
  });
});
