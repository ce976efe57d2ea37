import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFilesState, stateArgv } from '../../../src/lib/files/host-state.js';
import { planHostFiles, type WantedFile } from '../../../src/lib/files/plan.js';

/** The read script of host-state.ts run by this machine's sh over real files, links and directories. */
describe("files' state on a host: one script, values as arguments", () => {
  const dir = mkdtempSync(join(tmpdir(), 'eectl-files-state-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const run = (dests: string[], owners: string[] = []) => {
    const argv = stateArgv(dests, owners);
    return parseFilesState(execFileSync(argv[0]!, argv.slice(1)).toString(), dests.length);
  };

  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'a.conf'), 'hello\n');
  chmodSync(join(dir, 'real', 'a.conf'), 0o640);
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  symlinkSync(join(dir, 'real', 'a.conf'), join(dir, 'real', 'to-a'));
  // A name with a space, a quote and a $: it stays an argument.
  writeFileSync(join(dir, "odd $name 'x"), 'odd');

  it('reads checksum, mode and owner of a regular file, and its directory with links resolved', () => {
    const [file] = run([join(dir, 'link', 'a.conf')]).files;
    expect(file).toEqual({
      kind: 'file',
      sha256: createHash('sha256').update('hello\n').digest('hex'),
      mode: 0o640,
      user: userInfo().username,
      uid: String(userInfo().uid),
      group: expect.any(String),
      gid: String(userInfo().gid),
      realDir: join(dir, 'real'),
    });
  });

  it('a missing file under missing directories resolves through the nearest one that exists', () => {
    const [file] = run([join(dir, 'link', 'new', 'deeper', 'x.pem')]).files;
    expect(file).toEqual({ kind: 'missing', realDir: join(dir, 'real', 'new', 'deeper') });
  });

  it('a symbolic link or a directory at the destination is "other": planning refuses it', () => {
    const state = run([join(dir, 'real', 'to-a'), join(dir, 'real'), join(dir, "odd $name 'x")]);
    expect(state.files[0]).toMatchObject({ kind: 'other', what: 'symbolic link' });
    expect(state.files[1]).toMatchObject({ kind: 'other', what: 'directory' });
    expect(state.files[2]).toMatchObject({ kind: 'file' });
    const wanted = (destination: string): WantedFile => ({
      spec: { source: '/x', destination, mode: '0644' },
      at: 'spec.files[0]',
      content: Buffer.from(''),
      sha256: '0'.repeat(64),
    });
    const plan = planHostFiles(
      [wanted('/etc/a'), wanted('/etc/b')],
      state.files.slice(0, 2).map((f) => ({ ...f, realDir: '/etc' })),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.refusals).toEqual([
      '/etc/a (spec.files[0]) is a symbolic link on the host: eectl replaces only regular files',
      '/etc/b (spec.files[0]) is a directory on the host: eectl replaces only regular files',
    ]);
  });

  it('names the users and groups the host does not have', () => {
    const me = userInfo().username;
    expect(run([], [`u:${me}`, 'u:no-such-user-eectl', 'g:no-such-group-eectl']).unknownOwners).toEqual([
      'user no-such-user-eectl',
      'group no-such-group-eectl',
    ]);
  });
});
