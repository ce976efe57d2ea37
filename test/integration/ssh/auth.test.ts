import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EectlError } from '../../../src/lib/errors.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import { generateKeyPair, startSshAgent, TestSshServer, type TestAgent } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch, trust } from './fixtures.js';

const scratch = new Scratch();
const plainKey = generateKeyPair();
const encryptedKey = generateKeyPair('correct horse');
const agentKey = generateKeyPair();
const strangerKey = generateKeyPair();
const PASSWORD = 'pa55word-from-env';
let server: TestSshServer;
let agent: TestAgent;

beforeAll(async () => {
  server = await TestSshServer.start({
    authorizedKeys: [plainKey.public, encryptedKey.public, agentKey.public],
    password: PASSWORD,
  });
  trust(scratch, server);
  agent = await startSshAgent([agentKey.private]);
});

afterAll(async () => {
  agent.stop();
  await server.close();
  scratch.remove();
});

async function whoami(
  ssh: Parameters<typeof hostFor>[1],
  options: Parameters<typeof isolatedOptions>[1] = {},
): Promise<string> {
  const connection = await connect(
    hostFor(server, { user: 'root', ...ssh }),
    isolatedOptions(scratch, options),
  );
  try {
    return (await connection.exec(['id', '-un'])).stdout.trim();
  } finally {
    await connection.close();
  }
}

function lastAuth(): { method: string; accepted: boolean } | undefined {
  return server.record.auth.at(-1);
}

describe('authentication', () => {
  it('logs in with a key file', async () => {
    expect(await whoami({ keyPath: scratch.file('plain', plainKey.private) })).toBe('root');
    expect(lastAuth()).toEqual({ user: 'root', method: 'publickey', accepted: true });
  });

  it('decrypts a key with the passphrase from the env var named by keyPassphraseEnv', async () => {
    const keyPath = scratch.file('encrypted', encryptedKey.private);
    expect(
      await whoami({ keyPath, keyPassphraseEnv: 'KEY_PASS' }, { env: { KEY_PASS: 'correct horse' } }),
    ).toBe('root');
  });

  it('asks the prompt for a passphrase on a terminal', async () => {
    const keyPath = scratch.file('encrypted2', encryptedKey.private);
    const questions: string[] = [];
    const prompt = async (question: string): Promise<string> => {
      questions.push(question);
      return 'correct horse';
    };
    expect(await whoami({ keyPath }, { prompt })).toBe('root');
    expect(questions).toEqual([`Passphrase for ${keyPath}: `]);
  });

  it('without passphrase or terminal, fails saying what was tried and what to set', async () => {
    const keyPath = scratch.file('encrypted3', encryptedKey.private);
    const error = await whoami({ keyPath }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect((error as EectlError).code).toBe('EAUTH');
    expect((error as EectlError).message).toContain(`root@127.0.0.1:${server.port}`);
    expect((error as EectlError).message).toContain(`key ${keyPath} (encrypted, no passphrase`);
    expect((error as EectlError).message).toContain('keyPassphraseEnv');
  });

  it('uses ssh-agent (SSH_AUTH_SOCK) before default keys', async () => {
    expect(await whoami({}, { env: { SSH_AUTH_SOCK: agent.socket } })).toBe('root');
    expect(lastAuth()).toEqual({ user: 'root', method: 'publickey', accepted: true });
  });

  it('falls back from a refused key to the agent', async () => {
    const keyPath = scratch.file('stranger', strangerKey.private);
    expect(await whoami({ keyPath }, { env: { SSH_AUTH_SOCK: agent.socket } })).toBe('root');
  });

  it('uses a password only from the env var named by passwordEnv', async () => {
    expect(await whoami({ passwordEnv: 'ROOT_PW' }, { env: { ROOT_PW: PASSWORD } })).toBe('root');
    expect(lastAuth()).toEqual({ user: 'root', method: 'password', accepted: true });
  });

  it('never retries an auth failure, and names user, key, agent and password source', async () => {
    const keyPath = scratch.file('stranger2', strangerKey.private);
    const before = server.record.auth.length;
    const error = await whoami(
      { keyPath, passwordEnv: 'ROOT_PW' },
      { env: { ROOT_PW: 'wrong-password', SSH_AUTH_SOCK: '/nonexistent/agent.sock' }, connectAttempts: 3 },
    ).catch((e: unknown) => e as EectlError);
    expect((error as EectlError).code).toBe('EAUTH');
    const message = (error as EectlError).message;
    expect(message).toContain(`key ${keyPath}`);
    expect(message).toContain('ssh-agent at /nonexistent/agent.sock');
    expect(message).toContain('password from $ROOT_PW');
    expect(message).not.toContain('wrong-password');
    const passwordTries = server.record.auth.slice(before).filter((a) => a.method === 'password');
    expect(passwordTries).toHaveLength(1);
  });
});

describe('connection failures', () => {
  it('retries a refused connection with backoff, then says which host and how often', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await connect(
      { ...hostFor(server, { user: 'root' }), ssh: { user: 'root', port } },
      isolatedOptions(scratch, { connectAttempts: 3, retryDelayMs: 100 }),
    ).catch((e: unknown) => e as EectlError);
    expect((error as EectlError).code).toBe('ECONNECT');
    expect((error as EectlError).message).toContain(
      `127.0.0.1: cannot connect to root@127.0.0.1:${port} (3 attempts)`,
    );
    expect((error as EectlError).message).toContain('ECONNREFUSED');
    // 100 ms then 200 ms between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('gives up on a server that never speaks SSH after the connect timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const error = await connect(
        { ...hostFor(server), ssh: { user: 'root', port } },
        isolatedOptions(scratch, { readyTimeoutMs: 300 }),
      ).catch((e: unknown) => e as EectlError);
      expect((error as EectlError).code).toBe('ECONNECT');
      expect((error as EectlError).message).toContain('no SSH session within 0.3s');
    } finally {
      silent.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
