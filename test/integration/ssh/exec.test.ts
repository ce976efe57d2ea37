import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CommandFailedError, EectlError } from '../../../src/lib/errors.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import type { Connection } from '../../../src/lib/ssh/connection.js';
import { RunLog } from '../../../src/lib/util/log.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch, trust } from './fixtures.js';

const scratch = new Scratch();
const key = generateKeyPair();
let server: TestSshServer;
let keyPath: string;
const open: Connection[] = [];

async function connectRoot(extra: Parameters<typeof isolatedOptions>[1] = {}): Promise<Connection> {
  const connection = await connect(
    hostFor(server, { user: 'root', keyPath }),
    isolatedOptions(scratch, extra),
  );
  open.push(connection);
  return connection;
}

beforeAll(async () => {
  server = await TestSshServer.start({ authorizedKeys: [key.public] });
  keyPath = scratch.file('id_ed25519', key.private);
  trust(scratch, server);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await server.close();
  scratch.remove();
});

describe('Ssh2Connection.exec', () => {
  it('returns stdout, stderr and the exit code, and throws CommandFailedError on a checked failure', async () => {
    const connection = await connectRoot();
    const ok = await connection.exec(['sh', '-c', 'echo out; echo err >&2']);
    expect(ok).toEqual({ code: 0, stdout: 'out\n', stderr: 'err\n' });

    const unchecked = await connection.exec(['sh', '-c', 'exit 3'], { check: false });
    expect(unchecked.code).toBe(3);

    const failure = await connection
      .exec(['sh', '-c', 'for i in $(seq 1 30); do echo line$i; done; exit 7'])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CommandFailedError);
    const error = failure as CommandFailedError;
    expect(error.host).toBe('127.0.0.1');
    expect(error.commandExitCode).toBe(7);
    expect(error.outputTail).toHaveLength(20);
    expect(error.outputTail.at(-1)).toBe('line30');
    expect(error.message).toContain('exited 7');
  });

  it('quotes arguments so they reach the command unchanged', async () => {
    const connection = await connectRoot();
    const tricky = `it's "$HOME" & ; | \`x\` \n done`;
    const result = await connection.exec(['printf', '%s', tricky]);
    expect(result.stdout).toBe(tricky);
  });

  it('feeds stdin and streams output line by line', async () => {
    const connection = await connectRoot();
    const lines: string[] = [];
    const errLines: string[] = [];
    const result = await connection.exec(['sh', '-c', 'cat; echo warn >&2; printf tail'], {
      stdin: 'one\ntwo\n',
      onStdout: (l) => lines.push(l),
      onStderr: (l) => errLines.push(l),
    });
    expect(result.stdout).toBe('one\ntwo\ntail');
    expect(lines).toEqual(['one', 'two', 'tail']);
    expect(errLines).toEqual(['warn']);
  });

  it('passes env values through stdin, never on the command line', async () => {
    const connection = await connectRoot();
    const secret = `s3cr3t-${Date.now()} with 'quotes'\nand a second line`;
    const before = server.record.execs.length;
    const result = await connection.exec(['sh', '-c', 'printf "%s|" "$DB_PASSWORD" "$OTHER"; cat'], {
      env: { DB_PASSWORD: secret, OTHER: 'plain-value' },
      stdin: 'stdin still works',
    });
    expect(result.stdout).toBe(`${secret}|plain-value|stdin still works`);
    const commands = server.record.execs.slice(before).map((e) => e.command);
    expect(commands).toHaveLength(1);
    expect(commands[0]).not.toContain('s3cr3t');
    expect(commands[0]).not.toContain('plain-value');
    expect(server.record.envRequests).toEqual([]);
  });

  it('kills a command that runs past timeoutMs', async () => {
    const connection = await connectRoot();
    const started = Date.now();
    const error = await connection.exec(['sleep', '30'], { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toContain('timed out after 0.5s');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.record.signals).toContain('TERM');
    // The connection is still usable.
    expect((await connection.exec(['echo', 'ok'])).stdout).toBe('ok\n');
  });

  it('stops a command when its AbortSignal fires', async () => {
    const connection = await connectRoot();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed Ctrl-C')), 300);
    const started = Date.now();
    const error = await connection
      .exec(['sleep', '30'], { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect((error as EectlError).code).toBe('EABORTED');
    expect(Date.now() - started).toBeLessThan(5000);
    const already = await connection.exec(['echo'], { signal: controller.signal }).catch((e: unknown) => e);
    expect((already as EectlError).code).toBe('EABORTED');
  });

  it('reports a connection dropped mid-command as ECONNLOST naming the host, then reconnects', async () => {
    const connection = await connectRoot();
    setTimeout(() => server.dropConnections(), 300);
    const error = await connection.exec(['sleep', '30']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect((error as EectlError).code).toBe('ECONNLOST');
    expect((error as EectlError).message).toContain('127.0.0.1');
    expect((error as EectlError).message).toContain('sleep 30');
    expect((await connection.exec(['echo', 'back'])).stdout).toBe('back\n');
  });

  it('notices a host that stopped answering through keepalives, as ECONNLOST', async () => {
    const connection = await connectRoot({ keepaliveIntervalMs: 100 });
    setTimeout(() => server.freezeConnections(), 300);
    const started = Date.now();
    const error = await connection.exec(['sleep', '30']).catch((e: unknown) => e);
    expect((error as EectlError).code).toBe('ECONNLOST');
    expect(Date.now() - started).toBeLessThan(5000);
    server.dropConnections();
  });

  it('queues channels beyond maxChannels instead of exceeding sshd MaxSessions', async () => {
    const connection = await connectRoot();
    server.record.maxConcurrentChannels = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => connection.exec(['sh', '-c', `sleep 0.2; echo ${i}`])),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(server.record.maxConcurrentChannels).toBeLessThanOrEqual(8);
    expect(server.record.maxConcurrentChannels).toBeGreaterThan(1);
  });
});

describe('secrets and the run log', () => {
  it('keeps env values, `secrets` and stdin out of the log file, while logging the command and exit code', async () => {
    const runLog = new RunLog('error');
    const logPath = runLog.openFile(scratch.path('logs'), 'test');
    const connection = await connectRoot({ log: runLog.logger() });
    const envSecret = `env-secret-${Date.now()}`;
    const optionSecret = `option-secret-${Date.now()}`;
    const stdinSecret = `stdin-secret-${Date.now()}`;

    await connection.exec(['sh', '-c', 'echo "token is $TOKEN"'], { env: { TOKEN: envSecret } });
    await connection.exec(['echo', `--password=${optionSecret}`], { secrets: [optionSecret] });
    const failed = await connection
      .exec(['sh', '-c', 'read -r x; echo "got $x"; exit 4'], {
        stdin: `${stdinSecret}\n`,
        secrets: [stdinSecret],
      })
      .catch((e: unknown) => e as CommandFailedError);
    await connection.exec(['sh', '-c', 'cat >/dev/null'], { stdin: `unlogged-${stdinSecret}` });
    runLog.close();

    const text = readFileSync(logPath, 'utf8');
    expect(text).toContain('[127.0.0.1] $ sh -c');
    expect(text).toContain('exit 4');
    expect(text).toContain('(env: TOKEN)');
    expect(text).toContain('token is [REDACTED]');
    expect(text).not.toContain(envSecret);
    expect(text).not.toContain(optionSecret);
    expect(text).not.toContain(stdinSecret);
    expect((failed as CommandFailedError).message).not.toContain(stdinSecret);
    expect((failed as CommandFailedError).outputTail).toEqual(['got [REDACTED]']);
  });
});
