import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EectlError } from '../../../src/lib/errors.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import type { Connection } from '../../../src/lib/ssh/connection.js';
import { createTestUser, generateKeyPair, TestSshServer, type TestUser } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch, trust } from './fixtures.js';

// Real unprivileged users: alice has a NOPASSWD sudoers entry, bob has none.
const scratch = new Scratch();
const key = generateKeyPair();
let server: TestSshServer;
let keyPath: string;
let alice: TestUser;
let bob: TestUser;
const rootOwned = scratch.path('etc-eectl');
const connections: Connection[] = [];

async function login(user: string): Promise<Connection> {
  const connection = await connect(hostFor(server, { user, keyPath }), isolatedOptions(scratch));
  connections.push(connection);
  return connection;
}

function commandsSince(index: number): string[] {
  return server.record.execs.slice(index).map((e) => e.command);
}

beforeAll(async () => {
  alice = createTestUser({ sudo: true });
  bob = createTestUser({ sudo: false });
  server = await TestSshServer.start({ authorizedKeys: [key.public] });
  keyPath = scratch.file('id_ed25519', key.private);
  trust(scratch, server);
  // A directory only root may write, like /etc/eectl.
  mkdirSync(rootOwned, { mode: 0o755 });
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await server.close();
  alice?.remove();
  bob?.remove();
  scratch.remove();
});

describe('sudo', () => {
  it('as root: isRoot, and sudo: true adds nothing to the command', async () => {
    const root = await login('root');
    expect(root.isRoot).toBe(true);
    const mark = server.record.execs.length;
    expect((await root.exec(['id', '-u'], { sudo: true })).stdout).toBe('0\n');
    expect(commandsSince(mark)).toEqual(['id -u']);
  });

  it('as a user with NOPASSWD sudo: commands run as root through sudo -n, others as the user', async () => {
    const connection = await login(alice.name);
    expect(connection.isRoot).toBe(false);
    const mark = server.record.execs.length;
    expect((await connection.exec(['id', '-u'], { sudo: true })).stdout).toBe('0\n');
    expect((await connection.exec(['id', '-u'])).stdout).toBe(`${alice.uid}\n`);
    expect(commandsSince(mark)).toEqual(['sudo -n -- id -u', 'id -u']);
  });

  it('env reaches a sudo command (sudo drops the environment; the preamble survives it)', async () => {
    const connection = await login(alice.name);
    const mark = server.record.execs.length;
    const result = await connection.exec(['sh', '-c', 'echo "$(id -u) $JOIN_TOKEN"'], {
      sudo: true,
      env: { JOIN_TOKEN: 'tok-123456' },
    });
    expect(result.stdout).toBe('0 tok-123456\n');
    expect(commandsSince(mark)[0]).toMatch(/^sudo -n -- sh -c /);
    expect(commandsSince(mark)[0]).not.toContain('tok-123456');
  });

  it('without root or passwordless sudo: plain commands work, the first sudo use fails with ESUDO', async () => {
    const connection = await login(bob.name);
    expect((await connection.exec(['id', '-un'])).stdout).toBe(`${bob.name}\n`);
    const error = await connection.exec(['id', '-u'], { sudo: true }).catch((e: unknown) => e as EectlError);
    expect(error).toBeInstanceOf(EectlError);
    expect((error as EectlError).code).toBe('ESUDO');
    expect((error as EectlError).message).toContain(bob.name);
    expect((error as EectlError).suggestions.join('\n')).toContain(`${bob.name} ALL=(ALL) NOPASSWD:ALL`);
    expect((error as EectlError).suggestions.join('\n')).toContain('ssh.user: root');
  });
});

describe('upload and readFile', () => {
  it('uploads a secret to a root-owned path as a non-root user: mode 0600, owned by root, atomically', async () => {
    const connection = await login(alice.name);
    const target = `${rootOwned}/ca-key.pem`;
    writeFileSync(target, 'old content');
    const mark = server.record.execs.length;
    await connection.upload(target, 'secret key material\n', { mode: 0o600, sudo: true });
    const stat = statSync(target);
    expect(stat.mode & 0o7777).toBe(0o600);
    expect(stat.uid).toBe(0);
    expect(stat.gid).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('secret key material\n');
    // The content never travels on a command line; no temp files are left behind.
    expect(commandsSince(mark).join('\n')).not.toContain('secret key material');
    expect(commandsSince(mark).some((c) => c.startsWith('sudo -n -- sh -c'))).toBe(true);
    expect(readdir(rootOwned)).toEqual(['ca-key.pem']);
    expect(readdir('/tmp').filter((f) => f.startsWith('.eectl-upload-'))).toEqual([]);
    // Reading it back needs root too.
    expect((await connection.readFile(target, { sudo: true }))?.toString()).toBe('secret key material\n');
    expect(await connection.readFile(`${rootOwned}/missing`, { sudo: true })).toBeUndefined();
  });

  it('removes the key staged in /tmp when installing it as root fails (sudo refused after detection)', async () => {
    const carol = createTestUser({ sudo: true });
    const sudoers = `/etc/sudoers.d/${carol.name}`;
    try {
      const connection = await login(carol.name);
      // sudo worked when it was detected; then the policy changes (a sudo rule narrowed, a password asked).
      await connection.exec(['true'], { sudo: true });
      rmSync(sudoers);
      const staged = () =>
        readdirSync('/tmp', { withFileTypes: true })
          .filter((f) => f.name.startsWith('.eectl-upload-'))
          .filter((f) => statSync(`/tmp/${f.name}`).uid === carol.uid);
      const error = await connection
        .upload(`${rootOwned}/staged-key.pem`, 'staged secret\n', { mode: 0o600, sudo: true })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EectlError);
      expect(readdir(rootOwned)).not.toContain('staged-key.pem');
      expect(staged()).toEqual([]);
    } finally {
      rmSync(sudoers, { force: true });
      carol.remove();
    }
  });

  it('a non-root user without sudo cannot write there (and is told why)', async () => {
    const connection = await login(bob.name);
    const error = await connection
      .upload(`${rootOwned}/nope`, 'x', { mode: 0o600, sudo: true })
      .catch((e: unknown) => e as EectlError);
    expect((error as EectlError).code).toBe('ESUDO');
    const plain = await connection.upload(`${rootOwned}/nope`, 'x').catch((e: unknown) => e as EectlError);
    expect((plain as EectlError).code).toBe('ETRANSFER');
    expect(readdir(rootOwned)).not.toContain('nope');
  });

  it('as root: uploads with mode and owner, replaces atomically, and reads back binary content', async () => {
    const connection = await login('root');
    const target = `${rootOwned}/blob.bin`;
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    await connection.upload(target, content, { mode: 0o640, owner: `${alice.name}:${alice.name}` });
    const stat = statSync(target);
    expect(stat.mode & 0o7777).toBe(0o640);
    expect(stat.uid).toBe(alice.uid);
    expect(readFileSync(target).equals(content)).toBe(true);
    expect((await connection.readFile(target))?.equals(content)).toBe(true);
    expect(await connection.readFile(`${rootOwned}/missing`)).toBeUndefined();
    expect(readdir(rootOwned).filter((f) => f.includes('.eectl-'))).toEqual([]);
  });

  it('a user uploads to their own directory without sudo', async () => {
    const connection = await login(alice.name);
    const target = `${alice.home}/config.json`;
    await connection.upload(target, '{}', { mode: 0o600 });
    const stat = statSync(target);
    expect(stat.uid).toBe(alice.uid);
    expect(stat.mode & 0o7777).toBe(0o600);
    rmSync(target);
  });
});

function readdir(dir: string): string[] {
  return readdirSync(dir).sort();
}
