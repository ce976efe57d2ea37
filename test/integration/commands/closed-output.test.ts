import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_DIR } from '../../../src/lib/host-layout.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { Scratch } from '../ssh/fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

// `eectl install … 2>&1 | head -1`: the reader of eectl's output goes away while the run holds the cluster
// lock. The built CLI runs `install` against a real SSH server, takes the lock there, and reads facts from
// a host that keeps talking (each line is a debug line on stderr); then both pipes are closed.
describe('a run whose output is closed', () => {
  const scratch = new Scratch();
  const key = generateKeyPair();
  const home = scratch.path('home');
  // The host's lock goes to a private directory, so the test never touches this machine's /var/lib/eectl.
  const lockDir = scratch.path('var-lib-eectl/lock');
  // A word no other process on the machine has on its command line: the chatty "facts" command.
  const MARK = `eectl-closed-output-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  let server: TestSshServer;
  let clusterFile: string;

  beforeAll(async () => {
    server = await TestSshServer.start({
      authorizedKeys: [key.public],
      rewriteExec: (command) =>
        /^sh -s$/.test(command)
          ? `while :; do echo ${MARK}; sleep 0.1; done`
          : command.replaceAll(LOCK_DIR, lockDir),
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

  const chatting = (): boolean => {
    try {
      execFileSync('pgrep', ['-f', MARK], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };

  it('stops as on Ctrl-C: the remote command ends, the cluster lock is released, exit 130', async () => {
    const child = spawn(
      process.execPath,
      [`${root}bin/run.js`, 'install', '-c', clusterFile, '--log-level', 'debug'],
      {
        env: {
          ...process.env,
          NO_COLOR: '1',
          HOME: home,
          EECTL_HOME: join(home, '.eectl'),
          SSH_AUTH_SOCK: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no chatty host within 90 s:\n${seen}`)), 90_000);
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        // The lock is held and the host's lines arrive: the run is in the middle of its work.
        if (existsSync(join(lockDir, 'owner')) && seen.includes(MARK)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // What `head` does once it has its line: both ends of the pipes close.
    child.stdout.destroy();
    child.stderr.destroy();

    const code = await Promise.race([
      exited,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000)),
    ]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(130);
    expect(existsSync(lockDir)).toBe(false);
    const deadline = Date.now() + 10_000;
    while (chatting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(chatting()).toBe(false);
    expect(server.record.signals).toContain('TERM');
  });
});
