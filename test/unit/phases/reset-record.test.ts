import { describe, expect, it } from 'vitest';
import { PLUGIN_SPEC } from '../../../src/lib/host-layout.js';
import { EECTL_SERVICE_PATHS, PROBE_SCRIPT } from '../../../src/lib/host/reset-leftovers.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { SwarmFacts } from '../../../src/lib/host/facts-types.js';
import { Host } from '../../../src/lib/host/host.js';
import {
  RECORD_PROBE_SCRIPT,
  formatInstallRecord,
  newInstallRecord,
  parseInstallRecord,
  parseRecordProbe,
  type InstallRecord,
} from '../../../src/lib/host/install-record.js';
import { resetSteps } from '../../../src/lib/phases/reset-host.js';
import { isClean, probeHost } from '../../../src/lib/phases/reset-inventory.js';
import { unlistedManagerAddresses, unlistedManagerNodes } from '../../../src/lib/phases/reset-managers.js';
import type { SwarmNode } from '../../../src/lib/swarm/nodes.js';
import type { RemoteCommand } from '../../../src/lib/ssh/connection.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection } from '../../helpers/contexts.js';

// Reset goes back to the install record: what was there before eectl stays, what eectl changed goes back.

const b64 = (text: string) => Buffer.from(text).toString('base64');

const OPERATOR_DAEMON = '{"debug": true}\n';

/** A record of a host that had docker.io (running), the docker group, daemon.json and one certs.d entry. */
const RECORD: InstallRecord = {
  version: 1,
  recordedAt: '2026-12-01T00:00:00.000Z',
  packages: ['docker.io'],
  dockerGroup: true,
  etcDocker: true,
  etcDockerEntries: ['daemon.json', 'certs.d'],
  daemonJson: OPERATOR_DAEMON,
  certsD: ['other.example.com:5000'],
  certsDAdded: ['10.0.0.31:5443'],
  engineActive: true,
};

interface FakeHost {
  record?: string;
  traces?: string[];
  packages: string[];
  swarm?: SwarmFacts;
  /** daemon.json now, and the certs.d and /etc/docker entries now. */
  daemonJson: string;
  certsD: string[];
  etcEntries: string[];
}

/** A host whose commands answer like a Debian host after install: the probes only, nothing is changed. */
function fakeHost(state: FakeHost): Host {
  const exec = (command: RemoteCommand) => {
    const argv = command as string[];
    let stdout = '';
    if (argv[0] === 'dpkg-query') stdout = state.packages.map((p) => `${p}\tii \t1.0\n`).join('');
    else if (argv.includes('is-active')) stdout = 'active\n';
    else if (argv[2] === RECORD_PROBE_SCRIPT) {
      stdout = [
        ...(state.record !== undefined ? [`record ${b64(state.record)}`] : []),
        ...(state.traces ?? []).map((t) => `trace ${t}`),
        'group docker',
        'etcdocker',
        ...state.etcEntries.map((e) => `etc ${e}`),
        `daemon ${b64(state.daemonJson)}`,
        ...state.certsD.map((e) => `certsd ${e}`),
      ].join('\n');
    } else if (argv[2] === PROBE_SCRIPT) {
      // Every candidate path is there; the engine's bridge and chain too.
      stdout = [
        ...argv.slice(5).map((p) => `path ${p}`),
        'link docker0',
        'firewall iptables -t filter -X DOCKER',
        'group docker',
      ].join('\n');
    } else if (argv.includes('-s')) {
      stdout = argv.includes('purge')
        ? argv
            .slice(argv.indexOf('--autoremove') + 1)
            .map((p) => `Purg ${p} [1.0]`)
            .join('\n') + '\nRemv runc [1.0]\n'
        : '';
    }
    return Promise.resolve({ code: 0, stdout, stderr: '' });
  };
  const conn = stubConnection('10.0.0.21', { exec });
  const spec = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 't' },
    spec: {
      hosts: [
        { address: '10.0.0.11', role: 'manager' },
        { address: '10.0.0.21', role: 'worker' },
      ],
    },
  }).spec.hosts[1]!;
  const host = new Host(spec, conn);
  host.facts = makeFacts({ swarm: state.swarm });
  return host;
}

const AFTER_INSTALL = {
  packages: ['docker.io', 'docker-cli'],
  daemonJson: '{"debug": true, "log-driver": "json-file"}\n',
  certsD: ['other.example.com:5000', '10.0.0.31:5443'],
  etcEntries: ['daemon.json', 'certs.d', 'key.json'],
};

describe('the install record', () => {
  it('is what the probe found before any change, and reads back as written', () => {
    const probe = parseRecordProbe(
      [
        'group docker',
        'etcdocker',
        'etc daemon.json',
        `daemon ${b64(OPERATOR_DAEMON)}`,
        'certsd other.example.com:5000',
      ].join('\n'),
    );
    const record = newInstallRecord(probe, ['docker.io'], true, new Date('2026-12-01T00:00:00Z'));
    expect(record).toMatchObject({
      packages: ['docker.io'],
      dockerGroup: true,
      etcDocker: true,
      daemonJson: OPERATOR_DAEMON,
      certsD: ['other.example.com:5000'],
      certsDAdded: [],
      engineActive: true,
    });
    expect(parseInstallRecord(formatInstallRecord(record))).toEqual(record);
    expect(() => parseInstallRecord('{"version": 2}')).toThrow(/not an install record/);
  });

  it('notes no daemon.json as null, so reset removes the one eectl wrote', () => {
    expect(parseRecordProbe('').daemonJson).toBeNull();
  });
});

describe('reset with an install record', () => {
  it('keeps the engine that was there, its data, group and /etc/docker; puts daemon.json back; removes only eectl’s trust', async () => {
    const host = fakeHost({ ...AFTER_INSTALL, record: formatInstallRecord(RECORD) });
    const inventory = await probeHost(host, undefined);
    expect(inventory.packages).toEqual(['docker-cli']);
    expect(inventory.pulledIn).toEqual(['runc']);
    expect(inventory.paths).not.toEqual(expect.arrayContaining(['/var/lib/docker']));
    // Of /etc/docker only what eectl put there goes: its authorization plugin's spec file.
    expect(inventory.paths.filter((p) => p.startsWith('/etc/docker') || p.startsWith('/var/lib/'))).toEqual([
      PLUGIN_SPEC,
    ]);
    expect(inventory).toMatchObject({
      links: [],
      firewall: [],
      dockerGroup: false,
      restoreDaemonJson: OPERATOR_DAEMON,
      certsD: ['10.0.0.31:5443'],
      etcDockerAdded: [],
      startEngine: true,
      record: true,
    });
    expect(inventory.kept).toEqual([
      'docker.io',
      'the docker group',
      '/etc/docker (certs.d: other.example.com:5000)',
    ]);
    const steps = resetSteps(host.known, inventory, undefined).map((s) => s.description);
    // The fake finds every candidate: eectl's services too (the plugin, token service, watcher, relay).
    const removed = ['/etc/eectl', ...EECTL_SERVICE_PATHS];
    expect(steps).toEqual([
      'stop eectl-authz',
      'stop eectl-token',
      'stop eectl-ingress-watcher',
      'stop eectl-webhook-relay',
      'stop eectl-registry-gate',
      'stop docker.socket',
      'stop docker',
      'stop containerd',
      'purge docker-cli, runc',
      `remove ${removed.slice(0, -1).join(', ')} and ${removed.at(-1)}`,
      'reload systemd unit files',
      'put back /etc/docker/daemon.json as it was before install',
      "remove eectl's registry trust in /etc/docker/certs.d (10.0.0.31:5443)",
      'enable and start docker',
      "remove /var/lib/eectl (eectl's state and the install record)",
    ]);
  });

  it('removes the engine eectl installed, and what it added to an operator’s /etc/docker, but not the rest', async () => {
    const record = { ...RECORD, packages: [], dockerGroup: false, engineActive: false };
    const host = fakeHost({ ...AFTER_INSTALL, record: formatInstallRecord(record) });
    const inventory = await probeHost(host, undefined);
    expect(inventory.packages).toEqual(['docker.io', 'docker-cli']);
    expect(inventory.paths).toEqual(expect.arrayContaining(['/var/lib/docker', '/var/lib/containerd']));
    expect(inventory.paths).not.toContain('/etc/docker');
    expect(inventory).toMatchObject({ dockerGroup: true, startEngine: false, etcDockerAdded: ['key.json'] });
    const steps = resetSteps(host.known, inventory, undefined).map((s) => s.description);
    expect(steps).toContain('remove what the engine added to /etc/docker (key.json)');
    expect(steps).toContain('delete the docker group');
    expect(steps).not.toContain('enable and start docker');
    expect(steps.at(-1)).toBe("remove /var/lib/eectl (eectl's state and the install record)");
  });

  it('removes as before on a host an older eectl installed (its files, no record), and says so', async () => {
    const host = fakeHost({ ...AFTER_INSTALL, traces: ['/etc/apt/sources.list.d/eectl-engine.list'] });
    const inventory = await probeHost(host, undefined);
    expect(inventory.legacy).toBe(true);
    expect(inventory.packages).toEqual(['docker.io', 'docker-cli']);
    expect(inventory.paths).toEqual(
      expect.arrayContaining(['/var/lib/docker', '/etc/docker', '/var/lib/eectl']),
    );
    expect(inventory.dockerGroup).toBe(true);
  });

  it('touches nothing on a host with no record, no file of eectl and no swarm: an engine of its own', async () => {
    const host = fakeHost({ ...AFTER_INSTALL, certsD: [], etcEntries: [] });
    const inventory = await probeHost(host, undefined);
    expect(isClean(inventory)).toBe(true);
    expect(resetSteps(host.known, inventory, undefined)).toEqual([]);
  });

  it('refuses a record it cannot read, rather than guess what was there', async () => {
    const host = fakeHost({ ...AFTER_INSTALL, record: '{"version": 9}' });
    await expect(probeHost(host, undefined)).rejects.toThrow(/not a readable install record/);
  });
});

describe('reset refuses a swarm whose managers the file does not all list', () => {
  const config = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 't' },
    spec: {
      hosts: [
        { address: 'm1.example.com', role: 'manager' },
        { address: '10.0.0.12', role: 'manager' },
        { address: '10.0.0.21', role: 'worker' },
      ],
    },
  });
  const node = (
    id: string,
    hostname: string,
    addr: string,
    role: 'manager' | 'worker',
    labels = {},
  ): SwarmNode => ({
    id,
    hostname,
    addr,
    role,
    state: 'ready',
    availability: 'active',
    engineVersion: '',
    leader: false,
    reachability: role === 'manager' ? 'reachable' : undefined,
    labels,
  });
  const nodes = [
    node('id-m1', 'm1', '10.0.0.11', 'manager', { 'eectl.address': 'm1.example.com' }),
    node('id-m2', 'm2', '10.0.0.12', 'manager'),
    node('id-m3', 'm3', '10.0.0.13', 'manager'),
    node('id-w1', 'w1', '10.0.0.21', 'worker'),
  ];

  it('finds the managers no file host is, by label, address or own node ID; workers do not count', () => {
    expect(unlistedManagerNodes(config.spec.hosts, [], nodes).map((n) => n.hostname)).toEqual(['m3']);
    expect(
      unlistedManagerNodes(
        config.spec.hosts,
        [],
        nodes.filter((n) => n.id !== 'id-m3'),
      ),
    ).toEqual([]);
  });

  it('tells from a worker’s list of managers when no manager of the file answers', () => {
    const worker = fakeHost({ ...AFTER_INSTALL });
    worker.facts = makeFacts({
      addresses: ['10.0.0.21'],
      swarm: {
        state: 'active',
        nodeId: 'id-w1',
        clusterId: 'c',
        isManager: false,
        remoteManagers: ['10.0.0.12:2377', '10.0.0.13:2377'],
        nodeAddr: '10.0.0.21',
      },
    });
    expect(unlistedManagerAddresses(config.spec.hosts, [worker])).toEqual(['10.0.0.13:2377']);
  });
});
