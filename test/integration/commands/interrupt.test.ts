import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_DIR } from '../../../src/lib/host-layout.js';
import { createCa, issueClientCert } from '../../../src/lib/pki/certificates.js';
import { startEectl } from '../../helpers/cli.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { Scratch } from '../ssh/fixtures.js';

// Ctrl-C and SIGTERM as an operator or a CI runner sends them: the built CLI runs `install` against a
// real SSH server, takes the cluster lock there, and is interrupted while a long command runs on the host.
describe('an interrupted install', () => {
  const scratch = new Scratch();
  const key = generateKeyPair();
  const home = scratch.path('home');
  // The host's lock goes to a private directory, so the test never touches this machine's /var/lib/eectl.
  const lockDir = scratch.path('var-lib-eectl/lock');
  // A duration no other process on the machine uses: the "long remote command" is found by it.
  const SLEEP = `sleep ${3000 + Math.floor(Math.random() * 999)}.5`;
  let server: TestSshServer;
  let clusterFile: string;

  beforeAll(async () => {
    server = await TestSshServer.start({
      authorizedKeys: [key.public],
      // Reading the host's facts (`sh -s`, the first command after the lock) hangs as a slow host would.
      rewriteExec: (command) => (/^sh -s$/.test(command) ? SLEEP : command.replaceAll(LOCK_DIR, lockDir)),
    });
    const keyPath = scratch.file('id_ed25519', key.private);
    mkdirSync(join(home, '.eectl', 'lab'), { recursive: true });
    scratch.file(join('home', '.eectl', 'lab', 'known_hosts'), `${server.knownHostsLine()}\n`);
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
`,
    );
  });
  afterAll(async () => {
    await server.close();
    scratch.remove();
  });

  const sleeping = (): boolean => {
    try {
      execFileSync('pgrep', ['-f', `^${SLEEP}$`], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };

  async function until(what: string, ok: () => boolean, ms = 90_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: stops the remote command, releases the cluster lock and exits 130`, async () => {
      const run = startEectl(['install', '-c', clusterFile, '--json'], {
        env: { HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' },
        timeoutMs: 180_000,
      });
      await until(
        'the lock is held and the long command runs on the host',
        () => existsSync(join(lockDir, 'owner')) && sleeping(),
      );
      run.kill(signal);
      const result = await run;
      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(JSON.parse(String(result.stdout))).toMatchObject({ status: 130 });
      expect(existsSync(lockDir)).toBe(false);
      await until('the remote command is gone', () => !sleeping(), 10_000);
      expect(server.record.signals).toContain('TERM');
    });
  }
});

// The dashboard serves until it is stopped: Ctrl-C, SIGTERM or a closed stdout end it at once (it waited
// for SIGTERM alone, so Ctrl-C took the 20 s grace of an interrupted run).
describe('an interrupted dashboard', () => {
  const scratch = new Scratch();
  const home = scratch.path('home');
  const bundle = scratch.path('bundle');
  let clusterFile: string;

  beforeAll(async () => {
    mkdirSync(home, { recursive: true });
    mkdirSync(bundle, { recursive: true });
    const ca = await createCa('test');
    const client = await issueClientCert(ca, 'admin');
    writeFileSync(join(bundle, 'ca.pem'), ca.certPem);
    writeFileSync(join(bundle, 'cert.pem'), client.certPem);
    writeFileSync(join(bundle, 'key.pem'), client.keyPem);
    clusterFile = scratch.file(
      'cluster.yaml',
      'apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: lab }\nspec:\n  hosts:\n    - { address: local, role: manager, localhost: true }\n',
    );
  });
  afterAll(() => scratch.remove());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: stops within seconds, exit 130, after its one envelope`, async () => {
      const run = startEectl(['dashboard', '-c', clusterFile, '--bundle', bundle, '--json'], {
        env: { HOME: home, EECTL_HOME: join(home, '.eectl') },
        timeoutMs: 60_000,
      });
      let out = '';
      await new Promise<void>((resolve) =>
        run.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve();
        }),
      );
      const started = Date.now();
      run.kill(signal);
      const result = await run;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.exitCode, String(result.stderr)).toBe(130);
      const lines = String(result.stdout).trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ status: 0, result: { cluster: 'lab' } });
    });
  }
});
