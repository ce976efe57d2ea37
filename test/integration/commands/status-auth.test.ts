import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { Scratch } from '../ssh/fixtures.js';

// A wrong ssh.user, against a real SSH server that lets only root in: status shows the authentication
// error whole (the user, the address, what was tried), says the quorum is unknown rather than lost, and
// advises fixing the login, not `eectl install` (which would stop at the same login).
describe('eectl status with a wrong SSH user', () => {
  const scratch = new Scratch();
  const key = generateKeyPair();
  let server: TestSshServer;
  let clusterFile: string;
  let keyPath: string;
  const home = scratch.path('home');
  const env = () => ({ HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' });

  beforeAll(async () => {
    // Only root may log in: "ops" is the wrong user.
    server = await TestSshServer.start({
      authorizedKeys: [key.public],
      users: (login) => (login === 'root' ? { name: 'root', uid: 0, gid: 0, home: '/root' } : undefined),
    });
    mkdirSync(home, { recursive: true });
    keyPath = scratch.file('id_ed25519', key.private);
    clusterFile = scratch.file(
      'cluster.yaml',
      `apiVersion: eectl/v1
kind: Cluster
metadata: { name: lab }
spec:
  hosts:
    - address: ${server.host}
      role: manager
      ssh: { user: ops, port: ${server.port}, keyPath: ${keyPath} }
    - address: localhost
      role: worker
      ssh: { user: ops, port: ${server.port}, keyPath: ${keyPath} }
`,
    );
  });
  afterAll(async () => {
    await server.close();
    scratch.remove();
  });

  it('shows the authentication error whole and does not advise install', async () => {
    const r = await runEectl(['status', '-c', clusterFile, '--accept-new-host-keys'], { env: env() });
    expect(r.code).toBe(1);
    for (const host of [server.host, 'localhost']) {
      expect(r.stdout).toContain(
        `  - ${host}: SSH authentication failed for ops@${host}:${server.port}; tried: key ${keyPath}`,
      );
    }
    expect(r.stdout).toContain('Health:   UNKNOWN, no manager could be read');
    expect(r.stderr).toContain(
      'Error [EAUTH] cluster lab cannot be read: SSH refused eectl on every manager',
    );
    expect(r.stderr).toContain(
      `Check that ops is the right user and that one of these keys is in ~ops/.ssh/authorized_keys`,
    );
    expect(r.stderr).not.toMatch(/Run eectl install|run `eectl install`|Start the managers/);
  });

  it('--json: the same reason in result.problems and error.suggestions, the report’s shape unchanged', async () => {
    const r = await runEectl(['status', '-c', clusterFile, '--accept-new-host-keys', '--json'], {
      env: env(),
    });
    expect(r.code).toBe(1);
    const json = r.json as unknown as {
      status: number;
      error: { code: string; suggestions: string[] };
      result: { health: string; problems: string[]; nodes: { host: string; state: string }[] };
    };
    expect(json.status).toBe(1);
    expect(json.error.code).toBe('EAUTH');
    expect(json.error.suggestions.join('\n')).not.toMatch(/Run eectl install/);
    expect(json.result.health).toBe('quorum-lost');
    expect(json.result.problems).toContain(
      `${server.host}: SSH authentication failed for ops@${server.host}:${server.port}; tried: key ${keyPath}`,
    );
    expect(json.result.nodes.map((n) => n.state)).toEqual(['unreachable', 'unreachable']);
  });
});
