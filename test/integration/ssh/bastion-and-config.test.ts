import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import { ConnectionPool } from '../../../src/lib/ssh/pool.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch, trust } from './fixtures.js';

const scratch = new Scratch();
const key = generateKeyPair();
let bastion: TestSshServer;
let target: TestSshServer;
let target2: TestSshServer;
let keyPath: string;

beforeAll(async () => {
  bastion = await TestSshServer.start({ authorizedKeys: [key.public] });
  target = await TestSshServer.start({ authorizedKeys: [key.public], allowForwarding: false });
  target2 = await TestSshServer.start({ authorizedKeys: [key.public], allowForwarding: false });
  keyPath = scratch.file('id_ed25519', key.private);
});

afterAll(async () => {
  await Promise.all([bastion.close(), target.close(), target2.close()]);
  scratch.remove();
});

function behindBastion(server: TestSshServer): HostSpec {
  return hostFor(server, {
    user: 'root',
    keyPath,
    bastion: { address: '127.0.0.1', port: bastion.port, user: 'root' },
  });
}

describe('bastion (cluster.yaml ssh.bastion)', () => {
  it('reaches the target through a direct-tcpip channel on the bastion', async () => {
    trust(scratch, bastion, target);
    const forwardsBefore = bastion.record.forwards.length;
    const connection = await connect(behindBastion(target), isolatedOptions(scratch));
    try {
      expect((await connection.exec(['echo', 'hi'])).stdout).toBe('hi\n');
    } finally {
      await connection.close();
    }
    expect(bastion.record.forwards.slice(forwardsBefore)).toEqual([{ host: '127.0.0.1', port: target.port }]);
    expect(target.record.execs.at(-1)?.command).toBe('echo hi');
  });

  it('checks the bastion host key too, and records both keys when accepted', async () => {
    const clusterFile = scratch.path('bastion-accept/known_hosts');
    const refused = await connect(
      behindBastion(target),
      isolatedOptions(scratch, { knownHostsPath: clusterFile }),
    ).catch((e: unknown) => e as EectlError);
    expect((refused as EectlError).code).toBe('EHOSTKEY_UNKNOWN');
    expect((refused as EectlError).message).toContain(`[127.0.0.1]:${bastion.port}`);

    const connection = await connect(
      behindBastion(target),
      isolatedOptions(scratch, { knownHostsPath: clusterFile, acceptNewHostKeys: true }),
    );
    await connection.close();
    expect(readFileSync(clusterFile, 'utf8')).toBe(
      `${bastion.knownHostsLine()}\n${target.knownHostsLine()}\n`,
    );
  });

  it('a pool logs in to a shared bastion once for all targets behind it', async () => {
    trust(scratch, bastion, target, target2);
    const authBefore = bastion.record.auth.filter((a) => a.accepted).length;
    const pool = new ConnectionPool({ ...isolatedOptions(scratch), concurrency: 4 });
    try {
      const outcomes = await pool.connectAll([behindBastion(target), behindBastion(target2)]);
      expect(outcomes.map((o) => o.error)).toEqual([undefined, undefined]);
      const outputs = await Promise.all(outcomes.map((o) => o.connection?.exec(['echo', 'ok'])));
      expect(outputs.map((r) => r?.stdout)).toEqual(['ok\n', 'ok\n']);
    } finally {
      await pool.closeAll();
    }
    expect(bastion.record.auth.filter((a) => a.accepted).length - authBefore).toBe(1);
  });
});

describe('~/.ssh/config', () => {
  function writeConfig(): string {
    return scratch.file(
      'ssh_config',
      [
        'Host web1',
        '  HostName 127.0.0.1',
        `  Port ${target.port}`,
        '  User nobody-from-config',
        `  IdentityFile ${keyPath}`,
        '  ProxyJump jump',
        'Include ssh_config.d/*.conf',
        '',
      ].join('\n'),
    );
  }

  it('resolves HostName, Port, User, IdentityFile and ProxyJump (Include followed); cluster.yaml wins', async () => {
    trust(scratch, bastion, target);
    const sshConfigPath = writeConfig();
    // The jump host's own settings come from an included file.
    mkdirSync(scratch.path('ssh_config.d'));
    writeFileSync(
      scratch.path('ssh_config.d/jump.conf'),
      `Host jump\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  User root\n`,
    );
    const forwardsBefore = bastion.record.forwards.length;
    // cluster.yaml names only the alias and the user: the user must beat the config's User.
    const host: HostSpec = {
      address: 'web1',
      role: 'worker',
      ssh: { user: 'root' },
      localhost: false,
      labels: {},
    };
    const connection = await connect(host, isolatedOptions(scratch, { sshConfigPath }));
    try {
      expect(connection.name).toBe('web1');
      expect((await connection.exec(['id', '-un'])).stdout).toBe('root\n');
    } finally {
      await connection.close();
    }
    expect(bastion.record.forwards.slice(forwardsBefore)).toEqual([{ host: '127.0.0.1', port: target.port }]);
  });
});
