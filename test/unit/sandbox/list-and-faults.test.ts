import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../../src/lib/sandbox/docker.js';
import { healScript, partitionScript } from '../../e2e/helpers/faults.js';
import { describeListed, sandboxesWithPrefix } from '../../../src/lib/sandbox/list.js';
import { planHosts } from '../../../src/lib/sandbox/addresses.js';
import type { SandboxDescription } from '../../../src/lib/sandbox/state.js';

const hosts = planHosts('dev', { managers: 1, workers: 1, registries: 0 }, 2);
const description = { name: 'dev', hosts, network: { name: 'eectl-dev' } } as unknown as SandboxDescription;
const container = (labels: Record<string, string>, state = 'running'): ContainerInfo => ({
  id: Math.random().toString(16),
  name: `c-${labels['eectl.sandbox.hostname'] ?? labels['eectl.sandbox.kind']}`,
  state,
  labels: { 'eectl.sandbox': 'dev', ...labels },
});
const hostContainer = (i: number, state = 'running'): ContainerInfo =>
  container(
    {
      'eectl.sandbox.kind': 'host',
      'eectl.sandbox.hostname': hosts[i]!.hostname,
      'eectl.sandbox.role': hosts[i]!.role,
      'eectl.sandbox.address': hosts[i]!.address,
      'eectl.sandbox.user': hosts[i]!.user,
    },
    state,
  );

describe('sandbox ls', () => {
  it('joins the containers found by label with the description', () => {
    const listed = describeListed(
      'dev',
      [hostContainer(1, 'exited'), hostContainer(0), container({ 'eectl.sandbox.kind': 'mirror' })],
      description,
    );
    expect(listed.complete).toBe(true);
    expect(listed.mirror).toBe('running');
    expect(listed.hosts.map((h) => [h.hostname, h.address, h.state])).toEqual([
      ['m1', '10.77.2.11', 'running'],
      ['w1', '10.77.2.21', 'exited'],
    ]);
  });

  it('marks a sandbox incomplete when a host or the mirror is gone, or only the engine knows it', () => {
    expect(
      describeListed('dev', [hostContainer(0), container({ 'eectl.sandbox.kind': 'mirror' })], description),
    ).toMatchObject({ complete: false, hosts: [{ state: 'running' }, { hostname: 'w1', state: 'missing' }] });
    expect(describeListed('dev', [hostContainer(0), hostContainer(1)], description)).toMatchObject({
      complete: false,
      mirror: 'missing',
    });
    expect(describeListed('dev', [hostContainer(0)], undefined).complete).toBe(false);
  });
});

describe('network partitions', () => {
  it('drops all traffic on eth0, or only that of the given peers, and heals by removing its own chain only', () => {
    const all = partitionScript();
    expect(all).toContain('iptables -A EECTL-PARTITION -j DROP');
    expect(all).toContain('iptables -I INPUT 1 -i eth0 -j EECTL-PARTITION');
    expect(all).toContain('iptables -I OUTPUT 1 -o eth0 -j EECTL-PARTITION');
    const some = partitionScript(['10.77.0.11']);
    expect(some).toContain('iptables -A EECTL-PARTITION -s 10.77.0.11 -j DROP');
    expect(some).toContain('iptables -A EECTL-PARTITION -d 10.77.0.11 -j DROP');
    expect(some).not.toContain('EECTL-PARTITION -j DROP');
    expect(healScript()).toContain('iptables -X EECTL-PARTITION');
    expect(healScript()).not.toMatch(/iptables -F (INPUT|OUTPUT|FORWARD)/);
  });
});

describe('sandbox down --all --prefix', () => {
  it("removes only the sandboxes with that prefix, never another run's", () => {
    const names = ['e2e-hardenc-reset', 'e2e-access-access', 'dev', 'e2e-hardenc-node'];
    expect(sandboxesWithPrefix(names, 'e2e-hardenc-')).toEqual(['e2e-hardenc-reset', 'e2e-hardenc-node']);
    expect(sandboxesWithPrefix(names, 'nothing-')).toEqual([]);
    expect(sandboxesWithPrefix(names, undefined)).toEqual(names);
  });
});
