import { describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { SwarmFacts } from '../../../src/lib/host/facts-types.js';
import { Host } from '../../../src/lib/host/host.js';
import { probeTargets } from '../../../src/lib/phases/preflight.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection } from '../../helpers/contexts.js';

const specs = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 't' },
  spec: {
    hosts: [
      { address: 'm1', role: 'manager', privateAddress: '10.0.0.1' },
      { address: 'm2', role: 'manager', privateAddress: '10.0.0.2' },
      { address: 'm3', role: 'manager', privateAddress: '10.0.0.3' },
      { address: 'w1', role: 'worker', privateAddress: '10.0.0.4' },
    ],
  },
}).spec.hosts;

const swarm = (isManager: boolean): SwarmFacts => ({
  state: 'active',
  nodeId: 'n',
  clusterId: 'c',
  isManager,
  remoteManagers: [],
  nodeAddr: undefined,
});

function host(index: number, inSwarm: SwarmFacts | undefined): Host {
  const h = new Host(specs[index]!, stubConnection(specs[index]!.address));
  h.facts = makeFacts({ swarm: inSwarm });
  return h;
}

describe('probeTargets: which managers a host must show it reaches on 2377 before anything changes', () => {
  it('every other manager, for a host not in the swarm yet', () => {
    const managers = [host(0, swarm(true)), host(1, swarm(true)), host(2, undefined)];
    expect(probeTargets(host(3, undefined), managers)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(probeTargets(managers[2]!, managers)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('none on a converged cluster: a node in the swarm already reaches its managers', () => {
    const managers = [host(0, swarm(true)), host(1, swarm(true)), host(2, swarm(true))];
    expect(probeTargets(host(3, swarm(false)), managers)).toEqual([]);
    expect(probeTargets(managers[0]!, managers)).toEqual([]);
  });

  it('only the managers that are new, for a node in the swarm', () => {
    // m3 is in the file as a manager but not one of the swarm yet (a worker, or not joined).
    const managers = [host(0, swarm(true)), host(1, swarm(true)), host(2, swarm(false))];
    expect(probeTargets(host(3, swarm(false)), managers)).toEqual(['10.0.0.3']);
  });
});
