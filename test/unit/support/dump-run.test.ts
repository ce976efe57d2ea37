import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { supportDump } from '../../../src/lib/actions/support-dump.js';
import type { Session } from '../../../src/lib/cluster/session.js';
import { EectlError } from '../../../src/lib/errors.js';
import {
  HOST_CA_KEY,
  HOST_SERVER_KEY,
  REGISTRY_HTTP_SECRET_FILE,
  REGISTRY_TOKEN_KEY_FILE,
} from '../../../src/lib/host-layout.js';
import type { ExecOptions, ExecResult, RemoteCommand } from '../../../src/lib/ssh/connection.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { clearSecrets } from '../../../src/lib/util/redact.js';
import { clusterFile } from '../../helpers/scripted-cluster.js';
import { ScriptedConnection, type ScriptRule } from '../../helpers/scripted-connection.js';
import { leaks, readDump } from '../../helpers/support-dump.js';

// `support dump` over scripted hosts: a manager whose journals, docker info, services and tasks carry its
// secrets in every encoding (as a real engine's might), a worker, a host that cannot be reached and one
// that hangs. The archive has each host's files, the swarm and the status, and none of the secrets.

const M1 = '10.0.0.11';
const W1 = '10.0.0.21';
const SLOW = '10.0.0.22';
const DOWN = '10.0.0.31';
const PASSWORD_ENV = 'DUMP_TEST_CI_PASSWORD';

const pem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
const secrets = {
  'registry user password': 'dump-ci-Passw0rd-4e1f',
  'CA key': pem(),
  'API key': pem(),
  'token service key': pem(),
  'http.secret': randomBytes(32).toString('hex'),
  'worker join token': `SWMTKN-1-${'4n9d6p0xw2rqq7yq0gz7w5x1ikq9m4t1c8r2s6a7b3c5d9e0f1'}-${'0w8m2c5x7k1r4t6y9u3i5o7p2'}`,
  'manager join token': `SWMTKN-1-${'4n9d6p0xw2rqq7yq0gz7w5x1ikq9m4t1c8r2s6a7b3c5d9e0f1'}-${'9a8s7d6f5g4h3j2k1l0z9x8c7'}`,
};
/** A text as a log or an API may carry it: the secret inside a larger text, base64-encoded whole, at `pad`. */
const b64 = (secret: string, pad: number) => Buffer.from(`${'.'.repeat(pad)}${secret}\n`).toString('base64');

function facts(options: { manager: boolean; hostname: string }): string {
  const swarm = JSON.stringify({
    NodeID: `node-${options.hostname}`,
    NodeAddr: '10.0.0.1',
    LocalNodeState: 'active',
    ControlAvailable: options.manager,
    RemoteManagers: [{ Addr: `${M1}:2377` }],
    Cluster: { ID: 'cluster-1' },
  });
  return [
    `hostname=${options.hostname}`,
    'kernel=6.1.0',
    'machine=x86_64',
    'user=root',
    'uid=0',
    'sudo=1',
    'init=systemd',
    'pm=apt',
    '@@os-release',
    'ID=debian',
    'VERSION_ID="12"',
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    '@@packages',
    'docker-ce 5:27.3.1-1~debian.12~bookworm',
    '@@engine',
    'active=active',
    'server=27.3.1',
    `swarm=${swarm}`,
    '@@file /etc/docker/daemon.json',
    Buffer.from('{"log-driver":"json-file","live-restore":false}\n').toString('base64'),
    '@@end',
    '',
  ].join('\n');
}

function hostRules(options: { manager: boolean; hostname: string; journal: string }): ScriptRule[] {
  return [
    { match: /^sh -s$/, answer: { stdout: facts(options) } },
    {
      match: /^docker info --format/,
      answer: {
        stdout: JSON.stringify({
          ServerVersion: '27.3.1',
          Name: options.hostname,
          // An engine never shows these; a dump must not pass them on if one day it did.
          Labels: [`pw=${secrets['registry user password']}`, `ca=${b64(secrets['CA key'], 1)}`],
        }),
      },
    },
    { match: /^journalctl --unit docker\.service /, answer: { stdout: options.journal } },
    {
      match: /^journalctl --unit eectl-token\.service /,
      answer: { stdout: `token key loaded: ${b64(secrets['token service key'], 2)}\n` },
    },
    { match: /^journalctl --unit /, answer: { stdout: '-- No entries --\n' } },
  ];
}

const tasks = JSON.stringify([
  {
    ID: 'task-ok',
    ServiceID: 'svc-1',
    NodeID: 'node-w1',
    Slot: 1,
    DesiredState: 'running',
    Status: { Timestamp: '2026-12-06T10:00:00Z', State: 'running', Message: 'started' },
  },
  {
    ID: 'task-failed',
    ServiceID: 'svc-1',
    NodeID: 'node-w1',
    Slot: 1,
    DesiredState: 'shutdown',
    Status: {
      Timestamp: '2026-12-06T09:59:00Z',
      State: 'failed',
      Err: `task: non-zero exit (1): login with ${secrets['registry user password']} refused`,
    },
  },
]);

function manager(): ScriptedConnection {
  const conn = new ScriptedConnection(M1, [
    {
      match: /^sh -c .* eectl-registry-state /,
      answer: {
        stdout: [
          `${REGISTRY_HTTP_SECRET_FILE} ${Buffer.from(`${secrets['http.secret']}\n`).toString('base64')}`,
          `${REGISTRY_TOKEN_KEY_FILE} ${Buffer.from(secrets['token service key']).toString('base64')}`,
          '',
        ].join('\n'),
      },
    },
    {
      match: /^docker swarm join-token --quiet worker$/,
      answer: { stdout: `${secrets['worker join token']}\n` },
    },
    {
      match: /^docker swarm join-token --quiet manager$/,
      answer: { stdout: `${secrets['manager join token']}\n` },
    },
    { match: /^docker node ls --quiet$/, answer: { stdout: 'node-m1\nnode-w1\n' } },
    {
      match: /^docker node inspect /,
      answer: {
        stdout: JSON.stringify(
          [
            ['node-m1', 'm1', M1, 'manager'],
            ['node-w1', 'w1', W1, 'worker'],
          ].map(([id, hostname, addr, role]) => ({
            ID: id,
            Description: { Hostname: hostname, Engine: { EngineVersion: '27.3.1' } },
            Spec: { Role: role, Availability: 'active', Labels: {} },
            Status: { State: 'ready', Addr: addr },
            ...(role === 'manager' ? { ManagerStatus: { Leader: true, Reachability: 'reachable' } } : {}),
          })),
        ),
      },
    },
    { match: /^docker service ls --quiet$/, answer: { stdout: 'svc-1\n' } },
    {
      match: /^docker service inspect svc-1$/,
      answer: {
        stdout: JSON.stringify([
          {
            ID: 'svc-1',
            Spec: {
              Name: 'web',
              TaskTemplate: { ContainerSpec: { Env: [`HTTP_SECRET=${secrets['http.secret']}`] } },
            },
          },
        ]),
      },
    },
    { match: /^docker service ps --quiet --no-trunc svc-1$/, answer: { stdout: 'task-ok\ntask-failed\n' } },
    { match: /^docker inspect --type task /, answer: { stdout: tasks } },
    ...hostRules({
      manager: true,
      hostname: 'm1',
      journal: [
        'Dec 06 10:00:01 m1 dockerd[1]: level=info msg="API listen on /run/docker.sock"',
        `Dec 06 10:00:02 m1 dockerd[1]: level=debug msg="join" token=${b64(secrets['worker join token'], 0)}`,
        `Dec 06 10:00:03 m1 dockerd[1]: key ${b64(secrets['API key'], 1)} ${secrets['manager join token']}`,
        '',
      ].join('\n'),
    }),
  ]);
  conn.files.set(HOST_CA_KEY, Buffer.from(secrets['CA key']));
  conn.files.set(HOST_SERVER_KEY, Buffer.from(secrets['API key']));
  return conn;
}

/** A host whose journal never answers: the dump gives it up at --host-timeout. */
class HangingConnection extends ScriptedConnection {
  override exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    if (command[0] === 'journalctl') return new Promise(() => undefined);
    return super.exec(command, options);
  }
}

const home = process.env.EECTL_HOME;
let eectlHome: string;
beforeEach(() => {
  eectlHome = mkdtempSync(join(tmpdir(), 'eectl-home-'));
  process.env.EECTL_HOME = eectlHome;
  process.env[PASSWORD_ENV] = secrets['registry user password'];
});
afterEach(() => {
  clearSecrets();
  delete process.env[PASSWORD_ENV];
});
afterAll(() => {
  if (home === undefined) delete process.env.EECTL_HOME;
  else process.env.EECTL_HOME = home;
});

async function dump(hostTimeoutMs = 2_000) {
  const file = await clusterFile(
    [
      { address: M1, role: 'manager' },
      { address: W1, role: 'worker' },
      { address: SLOW, role: 'worker' },
      { address: DOWN, role: 'worker' },
    ],
    `  registry:\n    auth:\n      htpasswd:\n        users: [{ name: ci, passwordEnv: ${PASSWORD_ENV} }]`,
  );
  const conns = new Map<string, ScriptedConnection>([
    [M1, manager()],
    [
      W1,
      new ScriptedConnection(
        W1,
        hostRules({
          manager: false,
          hostname: 'w1',
          journal: `Dec 06 10:00:04 w1 dockerd[1]: pulling with ${b64(secrets['registry user password'], 2)}\n`,
        }),
      ),
    ],
    [SLOW, new HangingConnection(SLOW, hostRules({ manager: false, hostname: 'w2', journal: '' }))],
  ]);
  const session: Session = {
    connect: async (spec) => {
      const conn = conns.get(spec.address);
      if (!conn)
        throw new EectlError(`${spec.address}: connect ECONNREFUSED ${spec.address}:22`, {
          code: 'ECONNECT',
          kind: 'external',
          host: spec.address,
        });
      return conn;
    },
    close: async () => {},
  };
  // A run log of an earlier run, written before the password was known to that run's redactor.
  const logs = join(eectlHome, 'prod', 'logs');
  mkdirSync(logs, { recursive: true });
  writeFileSync(
    join(logs, '2026-12-06T09-00-00-000Z-install.log'),
    `2026-12-06T09:00:00.000Z DEBUG [${M1}] out: ${secrets['registry user password']} ${b64(secrets['http.secret'], 1)}\n`,
  );
  const out = join(mkdtempSync(join(tmpdir(), 'eectl-dump-')), 'dump.tar.gz');
  const result = await supportDump({
    config: file.config,
    session,
    log: nullLogger,
    concurrency: 8,
    progress: 'silent',
    request: { out, journalLines: 100, hostTimeoutMs, runLogs: 10 },
  });
  return { result, out, entries: await readDump(out), conns };
}

/** The entries' names without the top folder (`eectl-support-prod-<time>/`). */
const names = (entries: Map<string, unknown>) =>
  [...entries.keys()].map((n) => n.replace(/^[^/]+\//, '')).sort();
const entry = (entries: Map<string, { text: string }>, name: string) =>
  [...entries].find(([n]) => n.endsWith(`/${name}`))?.[1].text;

describe('support dump over scripted hosts', () => {
  it('writes one archive (0600) with each host, the swarm, the status and the run logs, under one folder', async () => {
    const { result, out, entries } = await dump(300);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(new Set([...entries.keys()].map((n) => n.split('/')[0]))).toEqual(
      new Set([expect.stringMatching(/^eectl-support-prod-\d{4}-/)]),
    );
    expect(names(entries)).toEqual(
      [
        'summary.json',
        'status.json',
        'swarm/nodes.json',
        'swarm/services.json',
        'swarm/tasks.json',
        'swarm/task-errors.txt',
        'eectl-logs/2026-12-06T09-00-00-000Z-install.log',
        ...['facts.json', 'daemon.json', 'docker-info.json'].map((f) => `hosts/${M1}/${f}`),
        ...[
          'docker.service',
          'eectl-authz.service',
          'eectl-token.service',
          'eectl-ingress-watcher.service',
        ].map((u) => `hosts/${M1}/journal-${u}.txt`),
        ...['facts.json', 'daemon.json', 'docker-info.json', 'journal-docker.service.txt'].map(
          (f) => `hosts/${W1}/${f}`,
        ),
        // The slow host: what it gave before its time was up, and why the rest is missing.
        ...['facts.json', 'daemon.json', 'docker-info.json', 'ERROR.txt'].map((f) => `hosts/${SLOW}/${f}`),
        `hosts/${DOWN}/ERROR.txt`,
      ].sort(),
    );
    expect(entry(entries, `hosts/${M1}/daemon.json`)).toContain('"live-restore":false');
    expect(JSON.parse(entry(entries, `hosts/${M1}/facts.json`)!)).toMatchObject({
      hostname: 'm1',
      managedFiles: [{ path: '/etc/docker/daemon.json' }],
    });
    expect(entry(entries, 'swarm/task-errors.txt')).toMatch(/task task-failed .* failed .*non-zero exit/);
    // As `eectl status --json` prints it: two hosts of the file are missing, so the cluster is degraded.
    expect(JSON.parse(entry(entries, 'status.json')!)).toMatchObject({
      status: 1,
      error: { code: 'EDEGRADED' },
      result: { cluster: 'prod', health: 'degraded', quorum: { hasQuorum: true } },
    });
    expect(result.swarm).toEqual({ from: M1, nodes: 2 });
    expect(result.runLogs).toBe(1);
  });

  it('notes a host that cannot be reached and one that runs out of time, and still succeeds', async () => {
    const { result, entries } = await dump(300);
    expect(entry(entries, `hosts/${DOWN}/ERROR.txt`)).toMatch(/cannot be reached: .*ECONNREFUSED/);
    expect(entry(entries, `hosts/${SLOW}/ERROR.txt`)).toMatch(/gave up after .*--host-timeout/);
    expect(result.hosts.map((h) => [h.host, h.collected])).toEqual([
      [M1, true],
      [W1, true],
      [SLOW, false],
      [DOWN, false],
    ]);
    expect(result.warnings).toEqual([
      expect.stringContaining(`${SLOW}: not collected whole`),
      expect.stringContaining(`${DOWN}: not collected whole`),
    ]);
    const summary = JSON.parse(entry(entries, 'summary.json')!) as { hosts: { host: string }[] };
    expect(summary.hosts.map((h) => h.host)).toEqual([M1, W1, SLOW, DOWN]);
  });

  it('has none of the secrets, raw or encoded at any offset, in any file', async () => {
    const { entries, conns } = await dump();
    expect(leaks(entries, secrets)).toEqual([]);
    // They were there to find: the texts the hosts gave carried them, and the dump says where it cut.
    expect(entry(entries, `hosts/${M1}/journal-docker.service.txt`)).toContain('[REDACTED]');
    expect(entry(entries, `hosts/${M1}/journal-eectl-token.service.txt`)).toContain('[REDACTED]');
    expect(entry(entries, 'swarm/task-errors.txt')).toContain('login with [REDACTED] refused');
    expect(entry(entries, 'eectl-logs/2026-12-06T09-00-00-000Z-install.log')).toContain('[REDACTED]');
    // No secret file and no join token is ever an entry: they were read only to be redacted.
    expect(names(entries).filter((n) => /key|htpasswd|secret|token|password/i.test(n))).toEqual([
      `hosts/${M1}/journal-eectl-token.service.txt`,
    ]);
    const m1 = conns.get(M1)!;
    expect(
      m1.options.filter((_, i) => m1.lines[i]!.includes('join-token')).every((o) => o.secretOutput),
    ).toBe(true);
  });
});
