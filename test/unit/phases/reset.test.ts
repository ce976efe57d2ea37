import { RESET_PATHS } from '../../../src/lib/host/reset-leftovers.js';
import { describe, expect, it } from 'vitest';
import { resetWarning } from '../../../src/lib/actions/reset.js';
import { LOCK_DIR, API_DROP_IN } from '../../../src/lib/host-layout.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import type { Facts, SwarmFacts } from '../../../src/lib/host/facts-types.js';
import type { CommandStep, Step } from '../../../src/lib/host/os/index.js';
import { notResetError, resetSteps, type ResetContext } from '../../../src/lib/phases/reset-host.js';
import {
  isClean,
  parseAptSimulation,
  parseProbe,
  type ResetInventory,
} from '../../../src/lib/phases/reset-inventory.js';
import { leaveOrder } from '../../../src/lib/phases/reset-swarm.js';
import { makeFacts } from '../../helpers/facts.js';
import { testClusterContext } from '../../helpers/contexts.js';

const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 'prod' },
  spec: {
    hosts: [
      { address: '10.0.0.11', role: 'manager' },
      { address: '10.0.0.12', role: 'manager' },
      { address: '10.0.0.21', role: 'worker' },
    ],
  },
});

const facts = (overrides: Partial<Facts> = {}): Facts => makeFacts(overrides);

const CLEAN: ResetInventory = {
  packages: [],
  pulledIn: [],
  activeServices: [],
  paths: [],
  sourceFiles: [],
  links: [],
  firewall: [],
  dockerGroup: false,
};

const FULL: ResetInventory = {
  packages: ['docker.io'],
  pulledIn: ['containerd', 'runc', 'tini'],
  activeServices: ['docker.socket', 'docker', 'containerd'],
  paths: ['/var/lib/docker', '/etc/docker', '/var/lib/eectl', '/etc/systemd/system/docker.service.d'],
  sourceFiles: ['/etc/apt/sources.list.d/eectl-engine.list'],
  links: ['docker0', 'docker_gwbridge'],
  firewall: [
    'iptables -t filter -F DOCKER',
    'iptables -t filter -D FORWARD -o docker0 -j DOCKER',
    'iptables -t filter -X DOCKER',
    'iptables -t nat -X DOCKER',
    'iptables -t filter -X DOCKER-USER',
  ],
  dockerGroup: true,
};

const commandOf = (step: Step): readonly string[] => (step as CommandStep).command;

describe('reset: what the probe finds', () => {
  it('parses every kind of probe line, and nothing else', () => {
    const found = parseProbe(
      [
        'path /var/lib/docker',
        'path /var/lib/eectl',
        'source /etc/apt/sources.list.d/eectl-engine.list',
        'link docker0',
        'firewall iptables -t filter -D FORWARD -m comment --comment "a b" -o docker0 -j ACCEPT',
        'firewall iptables -t nat -X DOCKER',
        'group docker',
        'path /etc/cni',
        'some noise from a login script',
        '',
      ].join('\n'),
    );
    expect(found).toEqual({
      paths: ['/var/lib/docker', '/var/lib/eectl', '/etc/cni'],
      sourceFiles: ['/etc/apt/sources.list.d/eectl-engine.list'],
      links: ['docker0'],
      firewall: [
        'iptables -t filter -D FORWARD -m comment --comment "a b" -o docker0 -j ACCEPT',
        'iptables -t nat -X DOCKER',
      ],
      dockerGroup: true,
    });
    expect(parseProbe('')).toEqual({
      paths: [],
      sourceFiles: [],
      links: [],
      firewall: [],
      dockerGroup: false,
    });
  });

  it("reads the packages apt's simulation would remove or purge", () => {
    const out = [
      'NOTE: This is only a simulation!',
      'Purg docker.io [20.10.24+dfsg1-1+deb12u1+b6]',
      'Purg containerd [1.6.20~ds1-1+deb12u3]',
      'Remv libfoo:i386 [1.0]',
      'Inst something-else',
    ].join('\n');
    expect(parseAptSimulation(out)).toEqual(['docker.io', 'containerd', 'libfoo:i386']);
  });

  it('calls a host clean only when nothing at all was found', () => {
    expect(isClean(CLEAN)).toBe(true);
    expect(isClean({ ...CLEAN, dockerGroup: true })).toBe(false);
    expect(isClean({ ...CLEAN, firewall: ['iptables -t nat -X DOCKER'] })).toBe(false);
    expect(isClean({ ...CLEAN, activeServices: ['containerd'] })).toBe(false);
  });
});

describe('reset: the order of swarm leaves', () => {
  const swarm = (isManager: boolean, state: SwarmFacts['state'] = 'active'): SwarmFacts => ({
    state,
    isManager,
    nodeId: 'n',
    clusterId: 'c',
    remoteManagers: [],
    nodeAddr: undefined,
  });
  const m1 = { name: 'm1', facts: facts({ swarm: swarm(true) }) };
  const m2 = { name: 'm2', facts: facts({ swarm: swarm(true) }) };
  const m3 = { name: 'm3', facts: facts({ swarm: swarm(true) }) };
  const w1 = { name: 'w1', facts: facts({ swarm: swarm(false) }) };
  const pending = { name: 'w2', facts: facts({ swarm: swarm(false, 'pending') }) };
  const outside = { name: 'w3', facts: facts({ swarm: swarm(false, 'inactive') }) };
  const noEngine = { name: 'w4', facts: facts() };

  it('has workers leave first, then managers one by one with the lock host last', () => {
    const order = leaveOrder([m1, w1, m2, pending, m3, outside, noEngine], m1);
    expect(order.workers.map((h) => h.name)).toEqual(['w1', 'w2']);
    expect(order.managers.map((h) => h.name)).toEqual(['m2', 'm3', 'm1']);
  });

  it("goes by the node's own swarm role, not its role in the file", () => {
    const promoted = { name: 'w9', facts: facts({ swarm: swarm(true) }) };
    expect(leaveOrder([promoted, w1], undefined).managers.map((h) => h.name)).toEqual(['w9']);
  });

  it('has nobody leave when no host is in a swarm', () => {
    expect(leaveOrder([outside, noEngine], undefined)).toEqual({ workers: [], managers: [] });
  });
});

describe('reset: the steps for one host', () => {
  it('does nothing on a clean host (a second reset changes nothing)', () => {
    expect(resetSteps(facts(), CLEAN, undefined)).toEqual([]);
    expect(resetSteps(facts(), CLEAN, LOCK_DIR)).toEqual([]);
  });

  it('stops, purges with what the engine pulled in, then removes source, files, links, firewall and group', () => {
    const steps = resetSteps(facts(), FULL, undefined);
    expect(steps.map((s) => s.description)).toEqual([
      'stop docker.socket',
      'stop docker',
      'stop containerd',
      'purge docker.io, containerd, runc, tini',
      "remove eectl's package source",
      'remove /var/lib/docker, /etc/docker, /var/lib/eectl and /etc/systemd/system/docker.service.d',
      'reload systemd unit files',
      "delete the engine's network links docker0 and docker_gwbridge",
      "remove the engine's firewall chains DOCKER and DOCKER-USER and the rules that use them",
      'delete the docker group',
    ]);
    expect(commandOf(steps[3]!)).toContain('purge');
    expect(commandOf(steps[3]!).slice(-4)).toEqual(['docker.io', 'containerd', 'runc', 'tini']);
    // The configurer's own `rm -rf` of the engine's data (which fails on a mount point) is not used.
    expect(steps.filter((s) => commandOf(s)[0] === 'rm' && commandOf(s).includes('/var/lib/docker'))).toEqual(
      [],
    );
    expect(steps.every((s) => s.kind === 'command' && s.sudo)).toBe(true);
  });

  it('passes the held lock to the path removal of the lock host, and nothing elsewhere', () => {
    const paths = (keep: string | undefined) =>
      commandOf(resetSteps(facts(), { ...CLEAN, paths: ['/var/lib/eectl'] }, keep)[0]!);
    expect(paths(LOCK_DIR).slice(4)).toEqual([LOCK_DIR, '/var/lib/eectl']);
    expect(paths(undefined).slice(4)).toEqual(['', '/var/lib/eectl']);
  });

  it('reloads systemd only when it removed the API drop-in or a unit of eectl', () => {
    const steps = (paths: string[]) =>
      resetSteps(facts(), { ...CLEAN, paths }, undefined).map((s) => s.description);
    expect(steps([API_DROP_IN])).toEqual([`remove ${API_DROP_IN}`, 'reload systemd unit files']);
    expect(steps(['/etc/eectl'])).toEqual(['remove /etc/eectl']);
    const unit = '/etc/systemd/system/eectl-authz.service';
    expect(steps([unit])).toEqual([`remove ${unit}`, 'reload systemd unit files']);
  });

  it("removes eectl's manager services: the plugin, the token service and the ingress watcher, their units, enable links, runtime and spec file", () => {
    const units = [
      'eectl-authz.service',
      'eectl-token.service',
      'eectl-ingress-watcher.service',
      'eectl-registry-gate.service',
    ];
    for (const u of units) {
      expect(RESET_PATHS).toContain(`/etc/systemd/system/${u}`);
      expect(RESET_PATHS).toContain(`/etc/systemd/system/multi-user.target.wants/${u}`);
    }
    expect(RESET_PATHS).toEqual(
      expect.arrayContaining(['/opt/eectl', '/etc/docker/plugins/eectl-authz.spec', '/run/eectl-authz']),
    );
    // Stopped first (they call the engine), as the probe found them running.
    const steps = resetSteps(
      facts(),
      { ...CLEAN, activeServices: ['eectl-authz', 'eectl-ingress-watcher', 'docker'] },
      undefined,
    ).map((s) => s.description);
    expect(steps).toEqual(['stop eectl-authz', 'stop eectl-ingress-watcher', 'stop docker']);
  });

  it('removes only the source when the packages are gone already, and stops only running services', () => {
    const steps = resetSteps(
      facts({ initSystem: 'openrc' }),
      { ...CLEAN, sourceFiles: ['/etc/apt/keyrings/eectl-docker.asc'], activeServices: ['containerd'] },
      undefined,
    );
    expect(steps.map((s) => s.description)).toEqual(['stop containerd', "remove eectl's package source"]);
  });

  it('lets dnf remove the engine (and its unneeded dependencies) on RHEL-like hosts', () => {
    const rocky = facts({
      os: {
        id: 'rocky',
        idLike: ['rhel', 'centos', 'fedora'],
        versionId: '9.4',
        codename: undefined,
        prettyName: 'Rocky',
      },
      packageManager: 'dnf',
    });
    const steps = resetSteps(rocky, { ...CLEAN, packages: ['docker-ce', 'containerd.io'] }, undefined);
    expect(steps.map((s) => commandOf(s).slice(0, 2).join(' '))).toEqual(['dnf versionlock', 'dnf remove']);
  });
});

describe('reset: what the user is told', () => {
  it('asks with the cluster, its hosts and what is lost', () => {
    const text = resetWarning(config);
    expect(text).toContain('This destroys cluster prod');
    expect(text).toContain('3 hosts (10.0.0.11, 10.0.0.12, 10.0.0.21)');
    expect(text).toMatch(/without quorum protection/);
    expect(text).toMatch(/all services, containers, volumes and images on them/);
  });

  it('reports hosts that were not reset with exit 4, the unreachable and the failed', () => {
    const ctx: ResetContext = {
      ...testClusterContext(config),
      inventory: new Map(),
      checkManagers: true,
      unreachable: [{ host: '10.0.0.21', message: 'connect ETIMEDOUT' }],
    };
    const unreachable = notResetError(ctx, []);
    expect(unreachable.exitCode).toBe(ExitCode.partial);
    expect(unreachable.code).toBe('EUNREACHABLE');
    expect(unreachable.message).toBe(
      'did not reset 1 of 3 hosts:\n  10.0.0.21: not reached: connect ETIMEDOUT',
    );
    const failed = notResetError(ctx, [
      new EectlError('10.0.0.12: `apt-get purge` exited 100', { code: 'ECOMMAND', kind: 'external' }),
    ]);
    expect(failed.code).toBe('ERESET');
    expect(failed.message).toMatch(/did not reset 2 of 3 hosts/);
  });
});
