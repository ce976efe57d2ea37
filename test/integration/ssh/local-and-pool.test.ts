import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { CommandFailedError, EectlError } from '../../../src/lib/errors.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import { LocalConnection } from '../../../src/lib/ssh/local-connection.js';
import { ConnectionPool } from '../../../src/lib/ssh/pool.js';
import { RunLog } from '../../../src/lib/util/log.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch, trust } from './fixtures.js';

const scratch = new Scratch();
const local: HostSpec = { address: 'localhost', role: 'manager', ssh: {}, localhost: true, labels: {} };

afterAll(() => scratch.remove());

describe('LocalConnection (localhost: true)', () => {
  it('is what connect() returns for a localhost host, running as root without sudo', async () => {
    const connection = await connect(local, isolatedOptions(scratch));
    expect(connection).toBeInstanceOf(LocalConnection);
    expect(connection.isRoot).toBe(process.getuid?.() === 0);
    expect((await connection.exec(['id', '-u'], { sudo: true })).stdout).toBe(`${process.getuid?.()}\n`);
  });

  it('has the same exec contract: output, stdin, env, streaming, exit codes, typed failures', async () => {
    const connection = await connect(local, isolatedOptions(scratch));
    const lines: string[] = [];
    const result = await connection.exec(['sh', '-c', 'cat; echo "$GREETING"; echo err >&2'], {
      stdin: 'in\n',
      env: { GREETING: 'hello-local' },
      onStdout: (l) => lines.push(l),
    });
    expect(result).toEqual({ code: 0, stdout: 'in\nhello-local\n', stderr: 'err\n' });
    // Env values are secrets: the streamed (logged, displayed) lines are redacted, the result is not.
    expect(lines).toEqual(['in', '[REDACTED]']);
    expect((await connection.exec(['sh', '-c', 'exit 5'], { check: false })).code).toBe(5);
    const failure = await connection.exec(['sh', '-c', 'echo why; exit 2']).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CommandFailedError);
    expect((failure as CommandFailedError).outputTail).toEqual(['why']);
    const missing = await connection.exec(['no-such-program-eectl']).catch((e: unknown) => e);
    expect((missing as CommandFailedError).commandExitCode).toBe(127);
  });

  it('times out and aborts like the SSH connection', async () => {
    const connection = await connect(local, isolatedOptions(scratch));
    const timedOut = await connection.exec(['sleep', '30'], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((timedOut as Error).message).toContain('timed out after 0.3s');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const aborted = await connection
      .exec(['sleep', '30'], { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((aborted as EectlError).code).toBe('EABORTED');
  });

  it('uploads atomically with mode and owner, reads back, and reports a missing file as undefined', async () => {
    const connection = await connect(local, isolatedOptions(scratch));
    const target = scratch.path('local-upload.txt');
    await connection.upload(target, 'secret\n', { mode: 0o600, owner: 'nobody' });
    expect(readFileSync(target, 'utf8')).toBe('secret\n');
    expect(statSync(target).mode & 0o7777).toBe(0o600);
    expect(statSync(target).uid).not.toBe(0);
    expect((await connection.readFile(target, { sudo: true }))?.toString()).toBe('secret\n');
    expect(await connection.readFile(scratch.path('missing'))).toBeUndefined();
  });

  it('keeps env values out of its log', async () => {
    const runLog = new RunLog('error');
    const logPath = runLog.openFile(scratch.path('local-logs'), 'test');
    const connection = await connect(local, isolatedOptions(scratch, { log: runLog.logger() }));
    await connection.exec(['sh', '-c', 'echo "$PASS"'], { env: { PASS: 'local-secret-value' } });
    runLog.close();
    const text = readFileSync(logPath, 'utf8');
    expect(text).toContain('[localhost] $ sh -c');
    expect(text).not.toContain('local-secret-value');
  });
});

describe('ConnectionPool', () => {
  const key = generateKeyPair();
  const servers: TestSshServer[] = [];
  let keyPath: string;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await TestSshServer.start({ authorizedKeys: [key.public] }));
    keyPath = scratch.file('pool_key', key.private);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('connects many hosts in parallel, reports each failure by host, reuses and closes connections', async () => {
    const [a, b, c] = servers as [TestSshServer, TestSshServer, TestSshServer];
    trust(scratch, a, b); // c's key is unknown: that host fails, the others do not.
    const hosts = [a, b, c].map((s) => hostFor(s, { user: 'root', keyPath }, `host-${s.port}`));
    const sshConfigPath = scratch.file(
      'pool_ssh_config',
      [a, b, c].map((s) => `Host host-${s.port}\n  HostName 127.0.0.1\n`).join(''),
    );
    const pool = new ConnectionPool({ ...isolatedOptions(scratch, { sshConfigPath }), concurrency: 2 });
    const outcomes = await pool.connectAll([...hosts, local]);
    expect(outcomes.map((o) => (o.error ? o.error.code : 'ok'))).toEqual([
      'ok',
      'ok',
      'EHOSTKEY_UNKNOWN',
      'ok',
    ]);
    expect(outcomes[2]?.error?.host).toBe(`host-${c.port}`);

    const first = outcomes[0]?.connection;
    expect(await pool.get(hosts[0] as HostSpec)).toBe(first);
    await pool.closeAll();
    const afterClose = await first?.exec(['true']).catch((e: unknown) => e);
    expect(afterClose).toBeInstanceOf(EectlError);
  });
});
