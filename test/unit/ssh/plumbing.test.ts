import { describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../../src/lib/errors.js';
import { CommandOutput, settleCommand } from '../../../src/lib/ssh/command-output.js';
import {
  installAsRootArgv,
  moveIntoPlaceArgv,
  octalMode,
  siblingTempPath,
  throughTemp,
} from '../../../src/lib/ssh/file-transfer.js';
import { Limiter } from '../../../src/lib/ssh/limiter.js';
import { isTransient, TransientConnectError, withRetries } from '../../../src/lib/ssh/retry.js';
import { nullLogger, type Logger } from '../../../src/lib/util/log.js';
import { addSecret, clearSecrets } from '../../../src/lib/util/redact.js';

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = { ...nullLogger, debug: (m) => lines.push(m), child: () => logger };
  return logger;
}

describe('CommandOutput', () => {
  it('cuts lines across chunks (also inside a UTF-8 character) and flushes the last partial line', () => {
    const seen: string[] = [];
    const output = new CommandOutput(nullLogger, { onStdout: (l) => seen.push(l), logStdout: true });
    const euro = Buffer.from('€'); // 3 bytes
    output.push('stdout', Buffer.concat([Buffer.from('a\nb'), euro.subarray(0, 1)]));
    output.push('stdout', Buffer.concat([euro.subarray(1), Buffer.from('\r\nlast')]));
    output.end();
    expect(seen).toEqual(['a', 'b€', 'last']);
    expect(output.stdout().toString()).toBe('a\nb€\r\nlast');
  });

  it('keeps the last 20 lines, redacted, and logs stdout only when allowed', () => {
    clearSecrets();
    addSecret('topsecret');
    const logged: string[] = [];
    const output = new CommandOutput(recordingLogger(logged), { logStdout: false });
    output.push('stdout', Buffer.from('file content topsecret\n'));
    for (let i = 1; i <= 25; i++) output.push('stderr', Buffer.from(`e${i} topsecret\n`));
    output.end();
    expect(output.tail()).toHaveLength(20);
    expect(output.tail()[19]).toBe('e25 [REDACTED]');
    expect(logged.some((l) => l.includes('file content'))).toBe(false);
    expect(logged.every((l) => !l.includes('topsecret'))).toBe(true);
  });

  it('settleCommand returns the result, or throws CommandFailedError (always on a timeout)', () => {
    const output = new CommandOutput(nullLogger, { logStdout: true });
    output.push('stdout', Buffer.from('x\n'));
    output.end();
    const base = { host: 'h', display: 'cmd', check: true, startedAt: Date.now() };
    expect(settleCommand(nullLogger, { ...base, code: 0 }, output)).toEqual({
      code: 0,
      stdout: 'x\n',
      stderr: '',
    });
    expect(settleCommand(nullLogger, { ...base, code: 1, check: false }, output).code).toBe(1);
    expect(() => settleCommand(nullLogger, { ...base, code: 1 }, output)).toThrow(CommandFailedError);
    expect(() =>
      settleCommand(nullLogger, { ...base, code: null, check: false, reason: 'timed out after 2s' }, output),
    ).toThrow('h: `cmd` timed out after 2s');
  });
});

describe('file-transfer scripts', () => {
  it('names temp files beside the target and formats modes for install(1)', () => {
    expect(siblingTempPath('/etc/eectl/ca.pem')).toMatch(/^\/etc\/eectl\/\.ca\.pem\.eectl-[0-9a-f]{12}$/);
    expect(octalMode(0o600)).toBe('0600');
    expect(octalMode(0o4755)).toBe('04755');
  });

  it('pass paths and owner as arguments, never inside the script', () => {
    const move = moveIntoPlaceArgv('/t/.x', "/t/it's", 'root:root');
    expect(move.slice(3)).toEqual(['eectl-upload', '/t/.x', "/t/it's", 'root:root']);
    expect(move[2]).not.toContain("it's");
    const install = installAsRootArgv('/tmp/.u', '/etc/x', 0o600, '0:0');
    expect(install[2]).toContain('install -m "$3"');
    expect(install.slice(4, 7)).toEqual(['/tmp/.u', '/etc/x', '0600']);
  });
});

describe('Limiter', () => {
  it('never runs more than its limit at once, and runs everything', async () => {
    const limiter = new Limiter(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    expect(limiter.running).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });
});

describe('withRetries', () => {
  it('retries transient failures with doubling delays, up to the bound', async () => {
    const delays: number[] = [];
    let calls = 0;
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(
      withRetries(
        async () => {
          calls++;
          throw refused;
        },
        { attempts: 3, delayMs: 1, onRetry: (_e, _a, d) => delays.push(d) },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(3);
    expect(delays).toEqual([1, 2]);
  });

  it('does not retry other failures (auth, host keys)', async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new Error('All configured authentication methods failed');
        },
        { attempts: 5, delayMs: 1 },
      ),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('classifies errors', () => {
    expect(isTransient(new TransientConnectError('timeout'))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'ENOENT' }))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});

describe('staging an upload through a temp file', () => {
  const steps = (fail: 'write' | 'place' | undefined) => {
    const done: string[] = [];
    const step = (name: 'write' | 'place') => async () => {
      done.push(name);
      if (fail === name) throw new Error(`${name} failed`);
    };
    const run = throughTemp(step('write'), step('place'), async () => void done.push('remove'));
    return { done, run };
  };

  it('removes the staged temp (a key in /tmp) when the install step fails, and rethrows', async () => {
    const { done, run } = steps('place');
    await expect(run).rejects.toThrow('place failed');
    expect(done).toEqual(['write', 'place', 'remove']);
  });

  it('removes a half-written temp when writing fails', async () => {
    const { done, run } = steps('write');
    await expect(run).rejects.toThrow('write failed');
    expect(done).toEqual(['write', 'remove']);
  });

  it('leaves the removal to the place script when all went well', async () => {
    const { done, run } = steps(undefined);
    await run;
    expect(done).toEqual(['write', 'place']);
  });

  it('reports the first failure even when the removal fails too', async () => {
    const run = throughTemp(
      async () => undefined,
      async () => {
        throw new Error('sudo: a password is required');
      },
      async () => {
        throw new Error('connection lost');
      },
    );
    await expect(run).rejects.toThrow('sudo: a password is required');
  });
});
