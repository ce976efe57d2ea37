import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EectlError } from '../../../src/lib/errors.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import { fingerprintSha256 } from '../../../src/lib/ssh/known-hosts.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch } from './fixtures.js';

const scratch = new Scratch();
const clientKey = generateKeyPair();
const hostKey = generateKeyPair();
let server: TestSshServer;
let keyPath: string;

function fingerprint(): string {
  return fingerprintSha256(Buffer.from(server.hostPublicKey.split(' ')[1] as string, 'base64'));
}

async function attempt(options: Parameters<typeof isolatedOptions>[1]): Promise<unknown> {
  const connection = await connect(
    hostFor(server, { user: 'root', keyPath }),
    isolatedOptions(scratch, options),
  ).catch((e: unknown) => e);
  if (connection && typeof connection === 'object' && 'close' in connection) {
    await (connection as { close(): Promise<void> }).close();
    return 'connected';
  }
  return connection;
}

beforeAll(async () => {
  server = await TestSshServer.start({ authorizedKeys: [clientKey.public], hostKey: hostKey.private });
  keyPath = scratch.file('id_ed25519', clientKey.private);
});

afterAll(async () => {
  await server.close();
  scratch.remove();
});

describe('host key checking', () => {
  it('refuses an unknown key without the flag, showing the fingerprint and how to accept', async () => {
    const clusterFile = scratch.path('unknown/known_hosts');
    const error = await attempt({ knownHostsPath: clusterFile });
    expect(error).toBeInstanceOf(EectlError);
    expect((error as EectlError).code).toBe('EHOSTKEY_UNKNOWN');
    expect((error as EectlError).message).toContain(fingerprint());
    expect((error as EectlError).suggestions.join(' ')).toContain('--accept-new-host-keys');
    expect(server.record.execs.length).toBe(0);
  });

  it('records a key accepted with the flag and then trusts it silently', async () => {
    const clusterFile = scratch.path('accept/known_hosts');
    expect(await attempt({ knownHostsPath: clusterFile, acceptNewHostKeys: true })).toBe('connected');
    expect(readFileSync(clusterFile, 'utf8')).toBe(`${server.knownHostsLine()}\n`);
    // Next run: no flag, no prompt, and nothing appended.
    expect(await attempt({ knownHostsPath: clusterFile })).toBe('connected');
    expect(readFileSync(clusterFile, 'utf8')).toBe(`${server.knownHostsLine()}\n`);
  });

  it('asks confirmHostKey (a terminal) and honours its answer', async () => {
    const asked: string[] = [];
    const no = await attempt({
      knownHostsPath: scratch.path('confirm-no/known_hosts'),
      confirmHostKey: async (host, fp) => {
        asked.push(`${host} ${fp}`);
        return false;
      },
    });
    expect((no as EectlError).code).toBe('EHOSTKEY_UNKNOWN');
    expect(asked).toEqual([`127.0.0.1 ([127.0.0.1]:${server.port}) ${fingerprint()}`]);

    const yesFile = scratch.path('confirm-yes/known_hosts');
    expect(await attempt({ knownHostsPath: yesFile, confirmHostKey: async () => true })).toBe('connected');
    expect(readFileSync(yesFile, 'utf8')).toContain(server.hostPublicKey);
  });

  it('trusts a key listed in the user known_hosts (hashed entry) without touching the cluster file', async () => {
    const userFile = scratch.file(
      'user_known_hosts',
      `# comment\n${hashedLine(`[127.0.0.1]:${server.port}`, server.hostPublicKey)}\n`,
    );
    const clusterFile = scratch.path('hashed/known_hosts');
    expect(await attempt({ knownHostsPaths: [userFile], knownHostsPath: clusterFile })).toBe('connected');
    expect(() => readFileSync(clusterFile)).toThrow();
  });

  it('refuses a CHANGED key even with --accept-new-host-keys, naming file and line', async () => {
    const other = generateKeyPair().public.split(' ').slice(0, 2).join(' ');
    const userFile = scratch.file(
      'changed_known_hosts',
      `other.example ${other}\n[127.0.0.1]:${server.port} ${other}\n`,
    );
    const error = await attempt({
      knownHostsPaths: [userFile],
      acceptNewHostKeys: true,
      confirmHostKey: async () => true,
    });
    expect(error).toBeInstanceOf(EectlError);
    expect((error as EectlError).code).toBe('EHOSTKEY_CHANGED');
    expect((error as EectlError).message).toContain(`Offending key in ${userFile}:2`);
    expect((error as EectlError).message).toContain(fingerprint());
    expect((error as EectlError).suggestions.join(' ')).toContain(`line 2 of ${userFile}`);
  });

  it('refuses a key of another type than the one on record, even with --accept-new-host-keys', async () => {
    // The host is recorded with its ed25519 key; a server on its address now offers only ECDSA or RSA.
    for (const type of ['ecdsa', 'rsa'] as const) {
      const impostor = await TestSshServer.start({
        authorizedKeys: [clientKey.public],
        hostKey:
          type === 'ecdsa'
            ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).private
            : ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).private,
      });
      try {
        const recorded = `[127.0.0.1]:${impostor.port} ${server.hostPublicKey}`;
        const clusterFile = scratch.file(`other-type-${type}_known_hosts`, `${recorded}\n`);
        const error = await connect(
          hostFor(impostor, { user: 'root', keyPath }),
          isolatedOptions(scratch, {
            knownHostsPath: clusterFile,
            acceptNewHostKeys: true,
            confirmHostKey: async () => true,
          }),
        ).then(
          async (c) => {
            await c.close();
            return 'connected';
          },
          (e: unknown) => e,
        );
        expect((error as EectlError).code, type).toBe('EHOSTKEY_CHANGED');
        expect((error as EectlError).message).toContain(`Offending key in ${clusterFile}:1`);
        // Not recorded, and no command ran on the impostor.
        expect(readFileSync(clusterFile, 'utf8')).toBe(`${recorded}\n`);
        expect(impostor.record.execs).toEqual([]);
      } finally {
        await impostor.close();
      }
    }
  });

  it('refuses a key marked @revoked', async () => {
    const userFile = scratch.file('revoked_known_hosts', `@revoked * ${server.hostPublicKey}\n`);
    const error = await attempt({ knownHostsPaths: [userFile], acceptNewHostKeys: true });
    expect((error as EectlError).code).toBe('EHOSTKEY_REVOKED');
  });

  it('asks the server for the key type already known, so a host with several keys is not "new"', async () => {
    // ssh2 prefers ed25519; the host's ECDSA key is the one on record.
    const ecdsa = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).private;
    const multi = await TestSshServer.start({
      authorizedKeys: [clientKey.public],
      hostKey: [generateKeyPair().private, ecdsa],
    });
    try {
      const clusterFile = scratch.file('multi_known_hosts', `${multi.knownHostsLine(1)}\n`);
      const connection = await connect(
        hostFor(multi, { user: 'root', keyPath }),
        isolatedOptions(scratch, { knownHostsPath: clusterFile }),
      );
      await connection.close();
      expect(readFileSync(clusterFile, 'utf8')).toBe(`${multi.knownHostsLine(1)}\n`);
    } finally {
      await multi.close();
    }
  });
});

function hashedLine(token: string, publicKey: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(token).digest('base64');
  return `|1|${salt.toString('base64')}|${hash} ${publicKey}`;
}
