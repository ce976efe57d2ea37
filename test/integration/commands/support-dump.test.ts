import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { leaks, readDump } from '../../helpers/support-dump.js';
import { Scratch } from '../ssh/fixtures.js';

// `eectl support dump` as users run it: the built CLI, a real SSH server that runs the collection on this
// machine, and a second host whose port nothing listens on. The dump is written (exit 0, a warning), the
// dead host has its ERROR.txt, and the password the file names is in no file, though a run log had it.

const PASSWORD_ENV = 'SUPPORT_DUMP_IT_PASSWORD';
const PASSWORD = 'support-dump-it-Passw0rd-31c7';

/** A loopback port that nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('eectl support dump against a real SSH server and a dead host', () => {
  const scratch = new Scratch();
  const key = generateKeyPair();
  let server: TestSshServer;
  let clusterFile: string;
  const home = scratch.path('home');
  const env = () => ({
    HOME: home,
    EECTL_HOME: join(home, '.eectl'),
    SSH_AUTH_SOCK: '',
    [PASSWORD_ENV]: PASSWORD,
  });

  beforeAll(async () => {
    server = await TestSshServer.start({ authorizedKeys: [key.public] });
    mkdirSync(home, { recursive: true });
    const keyPath = scratch.file('id_ed25519', key.private);
    const dead = await closedPort();
    clusterFile = scratch.file(
      'cluster.yaml',
      `apiVersion: eectl/v1
kind: Cluster
metadata: { name: lab }
spec:
  hosts:
    - address: ${server.host}
      role: manager
      ssh: { user: root, port: ${server.port}, keyPath: ${keyPath} }
    - address: 127.0.0.2
      role: worker
      ssh: { user: root, port: ${dead}, keyPath: ${keyPath} }
  registry:
    auth:
      htpasswd:
        users: [{ name: ci, passwordEnv: ${PASSWORD_ENV} }]
`,
    );
    // An earlier run's log that holds the password raw and as base64 (a log eectl wrote would not).
    const logs = join(home, '.eectl', 'lab', 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, '2026-12-06T09-00-00-000Z-install.log'),
      `x ${PASSWORD} ${Buffer.from(`:${PASSWORD}`).toString('base64')}\n`,
    );
  });
  afterAll(async () => {
    await server.close();
    scratch.remove();
  });

  it('writes the archive, notes the dead host, and has no secret', { timeout: 120_000 }, async () => {
    const out = scratch.path('dump.tar.gz');
    const r = await runEectl(
      [
        'support',
        'dump',
        '-c',
        clusterFile,
        '-o',
        out,
        '--json',
        '--accept-new-host-keys',
        '--host-timeout',
        '20',
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as {
      archive: string;
      hosts: { host: string; collected: boolean }[];
      warnings: string[];
    };
    expect(result.archive).toBe(out);
    expect(result.hosts).toMatchObject([
      { host: server.host, collected: true },
      { host: '127.0.0.2', collected: false },
    ]);
    expect(result.warnings.join('\n')).toContain('127.0.0.2: not collected whole');
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const entries = await readDump(out);
    const names = [...entries.keys()].map((n) => n.replace(/^[^/]+\//, ''));
    expect(names).toEqual(
      expect.arrayContaining([
        'summary.json',
        'status.json',
        `hosts/${server.host}/facts.json`,
        `hosts/${server.host}/daemon.json`,
        'hosts/127.0.0.2/ERROR.txt',
        'eectl-logs/2026-12-06T09-00-00-000Z-install.log',
      ]),
    );
    for (const [name, e] of entries) expect(e.mode, name).toBe(0o600);
    const text = (name: string) => [...entries].find(([n]) => n.endsWith(`/${name}`))?.[1].text ?? '';
    expect(text('hosts/127.0.0.2/ERROR.txt')).toMatch(/cannot be reached/);
    expect(JSON.parse(text('summary.json'))).toMatchObject({ cluster: 'lab', eectl: expect.any(String) });
    expect(JSON.parse(text(`hosts/${server.host}/facts.json`))).toMatchObject({ isRoot: true });
    // This machine's engine is in no swarm: status says the quorum is lost, exit 1, as `eectl status --json`.
    expect(JSON.parse(text('status.json'))).toMatchObject({
      status: 1,
      error: { code: 'EQUORUM_LOST' },
      result: { cluster: 'lab', health: 'quorum-lost' },
    });
    expect(text('eectl-logs/2026-12-06T09-00-00-000Z-install.log')).toContain('[REDACTED]');
    expect(leaks(entries, { password: PASSWORD })).toEqual([]);
  });
});
