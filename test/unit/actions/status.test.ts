import { describe, expect, it } from 'vitest';
import {
  assessCluster,
  ClusterUnhealthyError,
  statusSuggestions,
  type SwarmView,
} from '../../../src/lib/actions/status.js';
import type { HostDescription } from '../../../src/lib/cluster/describe.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import type { Facts } from '../../../src/lib/host/facts-types.js';
import { createCa, issueServerCert } from '../../../src/lib/pki/certificates.js';
import { serverNames } from '../../../src/lib/pki/inspect.js';
import { HOST_CA_CERT, HOST_SERVER_CERT } from '../../../src/lib/host-layout.js';
import type { SwarmNode } from '../../../src/lib/swarm/nodes.js';
import { renderStatus } from '../../../src/lib/ui/status-summary.js';
import { makeFacts } from '../../helpers/facts.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
const HOSTS = [
  ['10.0.0.11', 'manager', 'm1'],
  ['10.0.0.12', 'manager', 'm2'],
  ['10.0.0.13', 'manager', 'm3'],
  ['10.0.0.21', 'worker', 'w1'],
] as const;

const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 'prod' },
  spec: {
    hosts: HOSTS.map(([address, role]) => ({ address, role })),
    engine: { version: '20.10' },
  },
});

const ca = await createCa('prod', NOW);
const certs = new Map<string, string>();
for (const [address, role, hostname] of HOSTS) {
  if (role === 'manager') {
    const cert = await issueServerCert(ca, serverNames(hostname, [address], []), NOW);
    certs.set(address, cert.certPem);
  }
}

function facts(address: string, hostname: string, role: string): Facts {
  const isManager = role === 'manager';
  const files: Record<string, string> = isManager
    ? { [HOST_CA_CERT]: ca.certPem, [HOST_SERVER_CERT]: certs.get(address)! }
    : {};
  return makeFacts({
    hostname,
    privateAddresses: [address],
    addresses: [address],
    time: NOW.getTime() / 1000,
    files,
    listening: isManager ? ['22/tcp', '2377/tcp', '2376/tcp'] : ['22/tcp'],
    engine: {
      serverVersion: '20.10.24+dfsg1',
      packageVersion: '20.10.24',
      packageName: 'docker.io',
      running: true,
    },
    swarm: {
      state: 'active',
      nodeId: `id-${hostname}`,
      clusterId: 'c1',
      isManager,
      remoteManagers: ['10.0.0.11:2377', '10.0.0.12:2377', '10.0.0.13:2377'],
      nodeAddr: address,
    },
  });
}

function node(address: string, hostname: string, role: string, changes: Partial<SwarmNode> = {}): SwarmNode {
  return {
    id: `id-${hostname}`,
    hostname,
    role: role === 'manager' ? 'manager' : 'worker',
    state: 'ready',
    availability: 'active',
    addr: address,
    engineVersion: '20.10.24+dfsg1',
    leader: hostname === 'm1',
    reachability: role === 'manager' ? 'reachable' : undefined,
    labels: {},
    ...changes,
  };
}

const healthyHosts = (): HostDescription[] =>
  HOSTS.map(([address, role, hostname]) => ({
    address,
    role,
    ok: true,
    facts: facts(address, hostname, role),
  }));
const healthyNodes = (): SwarmNode[] =>
  HOSTS.map(([address, role, hostname]) => node(address, hostname, role));
const view = (nodes: SwarmNode[] | undefined, error?: string): SwarmView => ({ nodes, error });
const down = (d: HostDescription): HostDescription => ({
  address: d.address,
  role: d.role,
  ok: false,
  error: { code: 'ECONNECT', message: `${d.address}: connect EHOSTUNREACH` },
});

describe('eectl status: health from facts and the node list', () => {
  it('healthy: every host a Ready node, managers reachable, API listening, certificates far from expiry', () => {
    const r = assessCluster(config, healthyHosts(), view(healthyNodes()), NOW);
    expect(r.health).toBe('healthy');
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.quorum).toMatchObject({ managers: 3, reachable: 3, hasQuorum: true, faultTolerance: 1 });
    expect(r.quorum.description).toBe('3 managers, tolerates 1 failure, all reachable');
    const m1 = r.nodes.find((n) => n.hostname === 'm1')!;
    expect(m1).toMatchObject({
      role: 'manager',
      leader: true,
      apiListening: true,
      engineVersion: '20.10.24+dfsg1',
    });
    expect(m1.certificate).toMatchObject({ daysLeft: 365, due: false });
    expect(r.ca).toMatchObject({ due: false });
    expect(r.registry).toMatchObject({ checked: false, replicas: [] });
  });

  it('degraded, in quorum: one manager of three down (unreachable over SSH, down in the swarm)', () => {
    const hosts = healthyHosts();
    hosts[2] = down(hosts[2]!);
    const nodes = healthyNodes();
    nodes[2] = { ...nodes[2]!, state: 'down', reachability: 'unreachable' };
    const r = assessCluster(config, hosts, view(nodes), NOW);
    expect(r.health).toBe('degraded');
    expect(r.quorum).toMatchObject({ hasQuorum: true, reachable: 2 });
    expect(r.quorum.description).toBe('3 managers, tolerates 1 failure, 1 unreachable');
    expect(r.problems).toEqual(['10.0.0.13 (m3): down, manager unreachable, SSH: connect EHOSTUNREACH']);
  });

  it('quorum lost: two managers of three gone and no node list (no leader)', () => {
    const hosts = healthyHosts();
    hosts[1] = down(hosts[1]!);
    hosts[2] = down(hosts[2]!);
    const r = assessCluster(
      config,
      hosts,
      view(undefined, '10.0.0.11: The swarm does not have a leader.'),
      NOW,
    );
    expect(r.health).toBe('quorum-lost');
    expect(r.quorum).toMatchObject({ managers: 3, reachable: 1, hasQuorum: false });
    expect(r.quorum.description).toContain('QUORUM LOST');
    expect(r.problems[0]).toContain('The swarm does not have a leader');
    // What could not be read is absent (as in node ls), not an empty string.
    const gone = JSON.parse(JSON.stringify(r.nodes[1])) as Record<string, unknown>;
    expect(gone).toMatchObject({ host: '10.0.0.12', state: 'unreachable', leader: false });
    for (const key of ['hostname', 'availability', 'engineVersion', 'reachability', 'role'])
      expect(gone, key).not.toHaveProperty(key);
    expect(renderStatus(r)).toMatch(/^- +10\.0\.0\.12 +manager +- +unreachable +- +-$/m);
  });

  it('a node list that cannot be read is never healthy, even when enough managers answer SSH', () => {
    const r = assessCluster(config, healthyHosts(), view(undefined, '10.0.0.11: timed out'), NOW);
    expect(r.health).toBe('quorum-lost');
    expect(r.quorum.description).toContain('NO LEADER');
  });

  it('warns, and stays healthy, where a kernel has no ip_vs: the routing mesh cannot work there', () => {
    const hosts = healthyHosts().map((d, i) =>
      d.ok && i < 2 ? { ...d, facts: { ...d.facts, ipvs: 'missing' as const } } : d,
    );
    const r = assessCluster(config, hosts, view(healthyNodes()), NOW);
    expect(r.health).toBe('healthy');
    const first = hosts
      .slice(0, 2)
      .map((d) => d.address)
      .join(', ');
    expect(r.warnings).toEqual([
      expect.stringContaining(`${first}: the kernel has no ip_vs module`) as unknown,
    ]);
    expect(r.warnings[0]).toContain('publish ports in host mode');
  });

  it('drift: a host of the file not in the swarm (degraded), a node not in the file and another engine version (warnings)', () => {
    const nodes = healthyNodes().filter((n) => n.hostname !== 'w1');
    nodes.push(node('10.0.0.99', 'stray', 'worker'));
    nodes[1] = { ...nodes[1]!, engineVersion: '26.1.5+dfsg1' };
    const r = assessCluster(config, healthyHosts(), view(nodes), NOW);
    expect(r.health).toBe('degraded');
    expect(r.drift).toEqual({
      missingFromSwarm: ['10.0.0.21'],
      notInFile: ['stray (10.0.0.99)'],
      engineVersions: [{ node: 'm2', version: '26.1.5+dfsg1', expected: '20.10' }],
    });
    expect(r.problems).toEqual(['10.0.0.21 (w1): not in the swarm']);
    expect(r.warnings).toContain('node stray (10.0.0.99) is in the swarm but not in the file');
  });

  it('flags API certificates in their last 30 days (a warning) and expired ones or a silent API port (problems)', () => {
    const soon = new Date(NOW.getTime() + 350 * DAY);
    const r = assessCluster(config, healthyHosts(), view(healthyNodes()), soon);
    expect(r.health).toBe('healthy');
    expect(r.warnings).toContain(
      '10.0.0.11: the API certificate expires in 15 days: eectl install renews it',
    );
    const later = new Date(NOW.getTime() + 370 * DAY);
    const hosts = healthyHosts();
    if (hosts[1]!.ok) hosts[1]!.facts.listening = ['22/tcp'];
    const expired = assessCluster(config, hosts, view(healthyNodes()), later);
    expect(expired.health).toBe('degraded');
    expect(expired.problems).toContain('10.0.0.11 (m1): API certificate expired 5 days ago');
    expect(expired.problems).toContain(
      '10.0.0.12 (m2): engine API not listening on 2376/tcp, API certificate expired 5 days ago',
    );
  });
});

/** The error a host gives when SSH refuses eectl's login: several lines, as transport.ts writes it. */
const AUTH_MESSAGE = (address: string) =>
  `${address}: SSH authentication failed for ops@${address}:22; tried:\n  - key /home/me/.ssh/id_ed25519\n  - ssh-agent at /run/agent.sock`;
const refused = (d: HostDescription): HostDescription => ({
  address: d.address,
  role: d.role,
  ok: false,
  error: { code: 'EAUTH', message: AUTH_MESSAGE(d.address) },
});
const authError = (address: string) =>
  new EectlError(AUTH_MESSAGE(address), {
    code: 'EAUTH',
    kind: 'user',
    host: address,
    suggestions: [
      `Check that ops is the right user and that one of these keys is in ~ops/.ssh/authorized_keys on ${address}.`,
    ],
  });
const unreachable = (address: string) =>
  new EectlError(`${address}: connect EHOSTUNREACH`, { code: 'ECONNECT', kind: 'external', host: address });

describe('eectl status: why a host could not be read, and what to do', () => {
  it('a host that refused the SSH login: the whole reason on its problem line, not its last line', () => {
    const hosts = healthyHosts();
    hosts[3] = refused(hosts[3]!);
    const nodes = healthyNodes();
    nodes[3] = { ...nodes[3]!, state: 'down' };
    const r = assessCluster(config, hosts, view(nodes), NOW);
    expect(r.health).toBe('degraded');
    expect(r.problems).toEqual([
      '10.0.0.21 (w1): down, SSH authentication failed for ops@10.0.0.21:22; tried: key /home/me/.ssh/id_ed25519, ssh-agent at /run/agent.sock',
    ]);
    const e = new ClusterUnhealthyError(r, [authError('10.0.0.21')]);
    expect(e.code).toBe('EDEGRADED');
    expect(e.suggestions[0]).toMatch(/^Check that ops is the right user/);
    expect(e.suggestions.join('\n')).toContain(
      'eectl install would stop at the same SSH login: fix SSH to 10.0.0.21 first',
    );
    expect(e.suggestions.join('\n')).not.toMatch(/Run eectl install|run `eectl install`/);
    expect(e.suggestions.join('\n')).not.toContain('Bring back');
  });

  it('every manager refused the login: the quorum is unknown, not lost, and the error is the login’s', () => {
    const hosts = healthyHosts().map((h) => (h.role === 'manager' ? refused(h) : h));
    const r = assessCluster(
      config,
      hosts,
      view(undefined, 'no manager of the file is in the swarm and reachable'),
      NOW,
    );
    expect(r.health).toBe('quorum-lost');
    expect(r.quorum.description).toBe('unknown: SSH refused eectl on every manager (3 of 3)');
    expect(r.problems[0]).toBe(
      'whether the swarm has a leader is unknown: SSH refused eectl on every manager of the file (3)',
    );
    const e = new ClusterUnhealthyError(r, ['10.0.0.11', '10.0.0.12', '10.0.0.13'].map(authError));
    expect(e.code).toBe('EAUTH');
    expect(e.message).toContain('cannot be read: SSH refused eectl on every manager (3 of 3)');
    expect(e.suggestions.join('\n')).not.toContain('Start the managers');
    expect(e.suggestions.join('\n')).not.toMatch(/Run eectl install/);
    expect(renderStatus(r)).toContain('Health:   UNKNOWN, no manager could be read');
    expect(renderStatus(r)).toContain('Quorum:   unknown: SSH refused eectl on every manager (3 of 3)');
  });

  it('a host that does not answer: bring it back; install only for hosts that answer but differ from the file', () => {
    const hosts = healthyHosts();
    hosts[2] = down(hosts[2]!);
    const nodes = healthyNodes().filter((n) => n.hostname !== 'w1');
    nodes[2] = { ...nodes[2]!, state: 'down', reachability: 'unreachable' };
    const r = assessCluster(config, hosts, view(nodes), NOW);
    expect(statusSuggestions(r, [unreachable('10.0.0.13')])).toEqual([
      'Bring back the hosts that do not answer over SSH (the report’s problems name them), then run eectl status again.',
      'Run eectl install to converge the hosts that answer but are not as the file says.',
    ]);
    // Only the host that is down: nothing for install to do.
    const onlyDown = assessCluster(config, hosts, view([...nodes, node('10.0.0.21', 'w1', 'worker')]), NOW);
    expect(statusSuggestions(onlyDown, [unreachable('10.0.0.13')])).toEqual([
      'Bring back the hosts that do not answer over SSH (the report’s problems name them), then run eectl status again.',
    ]);
  });
});
