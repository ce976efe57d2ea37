import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { listenError } from '../../src/lib/actions/dashboard.js';
import { renderError } from '../../src/lib/base-command.js';
import { environmentError, ExitCode, toEectlError } from '../../src/lib/errors.js';
import { RunLog } from '../../src/lib/util/log.js';

/** A Node.js system error as fs, net and child_process raise them. */
const systemError = (message: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(message), fields);

/** Listens on a free loopback port and returns the error of a second listen on it. */
async function portTakenError(): Promise<{ error: unknown; port: number; close: () => void }> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  const error = await new Promise((resolve) => {
    const second = net.createServer();
    second.once('error', resolve);
    second.listen(port, '127.0.0.1');
  });
  return { error, port, close: () => holder.close() };
}

describe('errors of this machine are not "a bug in eectl"', () => {
  it('a port another program holds: exit 2, naming the port, with port 0 as the way out', async () => {
    const taken = await portTakenError();
    try {
      const e = toEectlError(taken.error);
      expect(e).toMatchObject({ code: 'EPORT_IN_USE', kind: 'user', exitCode: ExitCode.usage });
      expect(e.message).toBe(
        `cannot listen on 127.0.0.1:${taken.port}: another program uses port ${taken.port}`,
      );
      expect(e.suggestions.join('\n')).toContain('--port 0');
      expect(renderError(e, undefined)).not.toContain('bug');
      // The dashboard says it in terms of its flags.
      const flagged = listenError(taken.error, '127.0.0.1', taken.port)!;
      expect(flagged).toMatchObject({ code: 'EPORT_IN_USE', exitCode: ExitCode.usage });
      expect(flagged.message).toBe(
        `--port ${taken.port}: another program is listening on 127.0.0.1:${taken.port}`,
      );
      expect(flagged.suggestions[0]).toMatch(/^Run it with --port 0/);
    } finally {
      taken.close();
    }
  });

  it('an address that is not this machine’s, and a privileged port, are usage errors too', () => {
    const notHere = systemError('listen EADDRNOTAVAIL: address not available 10.9.9.9:80', {
      code: 'EADDRNOTAVAIL',
      syscall: 'listen',
      address: '10.9.9.9',
      port: 80,
    });
    expect(toEectlError(notHere)).toMatchObject({ code: 'EADDRESS', exitCode: ExitCode.usage });
    expect(listenError(notHere, '10.9.9.9', 80)?.message).toBe(
      '--listen 10.9.9.9: not an address of this machine',
    );
    const privileged = systemError('listen EACCES: permission denied 127.0.0.1:80', {
      code: 'EACCES',
      syscall: 'listen',
      address: '127.0.0.1',
      port: 80,
    });
    expect(toEectlError(privileged)).toMatchObject({ code: 'EPORT_DENIED', exitCode: ExitCode.usage });
    expect(listenError(privileged, '127.0.0.1', 80)?.suggestions.join(' ')).toContain('--port 0');
    expect(listenError(new Error('other'), '127.0.0.1', 80)).toBeUndefined();
  });

  it('a local file eectl may not write: exit 2, naming the file and what to do; under ~/.eectl, EECTL_HOME', () => {
    const e = toEectlError(
      systemError("EACCES: permission denied, open '/srv/out/cluster.yaml'", {
        code: 'EACCES',
        syscall: 'open',
        path: '/srv/out/cluster.yaml',
      }),
    );
    expect(e).toMatchObject({ code: 'ELOCAL_PERMISSION', kind: 'user', exitCode: ExitCode.usage });
    expect(e.message).toBe('cannot open /srv/out/cluster.yaml: permission denied for this user');
    expect(e.suggestions.join(' ')).not.toContain('EECTL_HOME');
    const home = toEectlError(
      systemError("EACCES: permission denied, mkdir '/home/ops/.eectl/prod/logs'", {
        code: 'EACCES',
        syscall: 'mkdir',
        path: '/home/ops/.eectl/prod/logs',
      }),
    );
    expect(home.message).toBe(
      'cannot create the directory /home/ops/.eectl/prod/logs: permission denied for this user',
    );
    expect(home.suggestions.join(' ')).toContain('EECTL_HOME');
    const readOnly = toEectlError(
      systemError("EROFS: read-only file system, open '/usr/x'", {
        code: 'EROFS',
        syscall: 'open',
        path: '/usr/x',
      }),
    );
    expect(readOnly).toMatchObject({ code: 'ELOCAL_READONLY', exitCode: ExitCode.usage });
  });

  it('a path of the wrong shape (a file where a directory must be, a directory named as a file): exit 2', () => {
    const fileInTheWay = toEectlError(
      systemError("EEXIST: file already exists, mkdir '/etc/passwd'", {
        code: 'EEXIST',
        syscall: 'mkdir',
        path: '/etc/passwd',
      }),
    );
    expect(fileInTheWay).toMatchObject({ code: 'ELOCAL_PATH', kind: 'user', exitCode: ExitCode.usage });
    expect(fileInTheWay.message).toBe(
      'cannot create the directory /etc/passwd: a file of that name is in the way',
    );
    const notADir = toEectlError(
      systemError("ENOTDIR: not a directory, open '/etc/passwd/x.yaml'", {
        code: 'ENOTDIR',
        syscall: 'open',
        path: '/etc/passwd/x.yaml',
      }),
    );
    expect(notADir.message).toBe(
      'cannot open /etc/passwd/x.yaml: a part of the path is a file, not a directory',
    );
    const aDir = toEectlError(
      systemError("EISDIR: illegal operation on a directory, open '/srv/out/'", {
        code: 'EISDIR',
        syscall: 'open',
        path: '/srv/out/',
      }),
    );
    expect(aDir).toMatchObject({ code: 'ELOCAL_PATH', exitCode: ExitCode.usage });
    expect(aDir.suggestions[0]).toBe('Name a file, e.g. /srv/out/<name>.');
    // EEXIST of anything but mkdir (a file written with flag wx) is the caller's to say.
    expect(
      environmentError(systemError('EEXIST', { code: 'EEXIST', syscall: 'open', path: '/x' })),
    ).toBeUndefined();
  });

  it('a full disk and too many open files: exit 1, what to free or raise, never "a bug"', () => {
    const full = toEectlError(
      systemError("ENOSPC: no space left on device, write '/var/backups/x.age'", {
        code: 'ENOSPC',
        syscall: 'write',
        path: '/var/backups/x.age',
      }),
    );
    expect(full).toMatchObject({ code: 'ELOCAL_NO_SPACE', kind: 'external', exitCode: ExitCode.failure });
    expect(full.message).toBe('cannot write to /var/backups/x.age: no space left on the device');
    expect(full.suggestions.join(' ')).toContain('df -h /var/backups/x.age');
    expect(full.suggestions.join(' ')).toContain('EECTL_LOG_KEEP_RUNS');
    const files = toEectlError(
      systemError('EMFILE: too many open files', { code: 'EMFILE', syscall: 'open' }),
    );
    expect(files).toMatchObject({ code: 'ELOCAL_FILES', exitCode: ExitCode.failure });
    expect(files.suggestions.join(' ')).toContain('--concurrency');
  });

  it('anything else stays a bug, and an EPERM without a path is not taken for a file', () => {
    expect(environmentError(new TypeError('x is undefined'))).toBeUndefined();
    expect(environmentError(systemError('kill EPERM', { code: 'EPERM', syscall: 'kill' }))).toBeUndefined();
    expect(toEectlError(new TypeError('x is undefined'))).toMatchObject({ code: 'EINTERNAL', kind: 'bug' });
  });
});

describe('a run log that cannot be written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eectl-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is given up once, with one line on stderr; the run goes on', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const log = new RunLog('error');
      const path = log.openFile(dir, 'status');
      log.write('debug', '', 'first line');
      log.flush(); // lines go out in batches: this one is on disk before the disk fills
      // From here on every write fails as on a full disk: /dev/full answers ENOSPC.
      (log as unknown as { fd: number }).fd = openSync('/dev/full', 'w');
      log.write('debug', '', 'second line');
      log.write('debug', '', 'third line');
      log.close();
      expect(readFileSync(path, 'utf8')).toContain('first line');
      const warned = stderr.mock.calls
        .map((c) => String(c[0]))
        .filter((l) => l.includes('cannot be written'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain(path);
      expect(warned[0]).toContain('ENOSPC');
    } finally {
      stderr.mockRestore();
    }
  });
});
