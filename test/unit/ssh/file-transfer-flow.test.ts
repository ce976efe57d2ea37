import { describe, expect, it } from 'vitest';
import { CommandOutput, type CommandEnd } from '../../../src/lib/ssh/command-output.js';
import type { ExecOptions, RemoteCommand } from '../../../src/lib/ssh/connection.js';
import {
  MISSING_FILE_EXIT,
  readHostFile,
  uploadFile,
  type FileTransport,
} from '../../../src/lib/ssh/file-transfer.js';
import type { PreparedCommand } from '../../../src/lib/ssh/prepare-command.js';
import { nullLogger } from '../../../src/lib/util/log.js';

/** A connection and transport that record what the shared flow asks of them. */
function fake(options: { isRoot: boolean; placeFails?: boolean; readExit?: number }) {
  const calls: string[] = [];
  const writes: { path: string; data: string; mode: number }[] = [];
  const execs: { argv: string[]; sudo: boolean | undefined }[] = [];
  const conn = {
    name: 'h1',
    log: nullLogger,
    isRoot: options.isRoot,
    exec: async (command: RemoteCommand, o: ExecOptions = {}) => {
      execs.push({ argv: command as string[], sudo: o.sudo });
      if (options.placeFails) throw new Error('sudo: a password is required');
      return { code: 0, stdout: '', stderr: '' };
    },
  };
  const transport: FileTransport = {
    sudo: () => ({ user: 'ops', isRoot: options.isRoot, passwordless: true, detail: '' }),
    tmpDir: '/var/tmp',
    writeNew: async (path, data, mode) => {
      calls.push(`write ${path}`);
      writes.push({ path, data: data.toString(), mode });
    },
    remove: async (path) => void calls.push(`remove ${path}`),
    read: async (path) => {
      calls.push(`read ${path}`);
      return Buffer.from('as the user');
    },
    runQuiet: async (prepared: PreparedCommand) => {
      calls.push(`runQuiet ${prepared.display}`);
      const output = new CommandOutput(nullLogger, { logStdout: false });
      output.push('stdout', Buffer.from('as root'));
      output.end();
      const end: CommandEnd = {
        host: 'h1',
        display: prepared.display,
        code: options.readExit ?? 0,
        check: true,
        startedAt: Date.now(),
      };
      return { end, output };
    },
  };
  return { conn, transport, calls, writes, execs };
}

describe('the upload flow both connections share', () => {
  it('as a non-root user under sudo: a private 0600 copy in tmpDir that root installs, owned by root', async () => {
    const f = fake({ isRoot: false });
    await uploadFile(f.conn, f.transport, '/etc/eectl/key.pem', 'SECRET', { mode: 0o600, sudo: true });
    expect(f.writes).toHaveLength(1);
    expect(f.writes[0]!.path).toMatch(/^\/var\/tmp\/\.eectl-upload-[0-9a-f]{16}$/);
    expect(f.writes[0]).toMatchObject({ data: 'SECRET', mode: 0o600 });
    const [place] = f.execs;
    expect(place!.sudo).toBe(true);
    expect(place!.argv.slice(4, 7)).toEqual([f.writes[0]!.path, '/etc/eectl/key.pem', '0600']);
    expect(place!.argv.at(-1)).toBe('0:0');
  });

  it('as root: a temp next to the target with the final mode, renamed over it without sudo', async () => {
    const f = fake({ isRoot: true });
    await uploadFile(f.conn, f.transport, '/etc/docker/daemon.json', '{}', { mode: 0o644, sudo: true });
    expect(f.writes[0]!.path).toMatch(/^\/etc\/docker\/\.daemon\.json\.eectl-[0-9a-f]{12}$/);
    expect(f.writes[0]!.mode).toBe(0o644);
    expect(f.execs[0]).toMatchObject({ sudo: false });
    expect(f.execs[0]!.argv.slice(4)).toEqual([f.writes[0]!.path, '/etc/docker/daemon.json', '0:0']);
  });

  it('removes the temp and rethrows when putting the file in place fails', async () => {
    const f = fake({ isRoot: false, placeFails: true });
    await expect(uploadFile(f.conn, f.transport, '/etc/k', 'x', { sudo: true })).rejects.toThrow(
      /password is required/,
    );
    const temp = f.writes[0]!.path;
    expect(f.calls).toEqual([`write ${temp}`, `remove ${temp}`]);
  });
});

describe('the read flow both connections share', () => {
  it('reads as the login user without sudo, or when the login user is root', async () => {
    for (const [isRoot, sudo] of [
      [false, false],
      [true, true],
    ] as const) {
      const f = fake({ isRoot });
      expect((await readHostFile(f.conn, f.transport, '/etc/x', { sudo }))?.toString()).toBe('as the user');
      expect(f.calls).toEqual(['read /etc/x']);
    }
  });

  it('reads as root through sudo without logging the bytes; a missing file is undefined', async () => {
    const f = fake({ isRoot: false });
    expect((await readHostFile(f.conn, f.transport, '/etc/k', { sudo: true }))?.toString()).toBe('as root');
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]).toMatch(/^runQuiet sudo -n -- .*\/etc\/k/);
    const missing = fake({ isRoot: false, readExit: MISSING_FILE_EXIT });
    expect(await readHostFile(missing.conn, missing.transport, '/etc/k', { sudo: true })).toBeUndefined();
  });
});
