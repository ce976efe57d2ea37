import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FileSpec } from '../../../src/lib/config/schema.js';
import {
  filesForHost,
  planHostFiles,
  type FileOnHost,
  type WantedFile,
} from '../../../src/lib/files/plan.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const wanted = (spec: Partial<FileSpec> & { destination: string }, text = 'content\n'): WantedFile => ({
  spec: { source: '/ops/files/x', mode: '0644', ...spec },
  at: 'spec.files[0]',
  content: Buffer.from(text),
  sha256: sha(text),
});
const onHost = (text: string, extra: Partial<Extract<FileOnHost, { kind: 'file' }>> = {}): FileOnHost => ({
  kind: 'file',
  sha256: sha(text),
  mode: 0o644,
  user: 'root',
  uid: '0',
  group: 'root',
  gid: '0',
  realDir: '/etc/site',
  ...extra,
});

describe('the plan of one host: checksums decide, restarts only for changed content', () => {
  it('the same checksum, mode and owner: nothing to do, nothing restarts', () => {
    const plan = planHostFiles(
      [wanted({ destination: '/etc/site/a', restart: 'docker' })],
      [onHost('content\n')],
    );
    expect(plan).toEqual({ changes: [], refusals: [], engineRestarts: [], serviceRestarts: [] });
  });

  it('a different checksum is a change, and restarts its service: the engine apart from the others', () => {
    const plan = planHostFiles(
      [
        wanted({ destination: '/etc/site/a', restart: 'docker' }, 'new\n'),
        wanted({ destination: '/etc/site/b', restart: 'chrony' }, 'new\n'),
        wanted({ destination: '/etc/site/c', restart: 'chrony' }),
        wanted({ destination: '/etc/site/d', restart: 'containerd' }),
      ],
      [onHost('old\n'), onHost('old\n'), { kind: 'missing', realDir: '/etc/site' }, onHost('content\n')],
    );
    expect(plan.changes.map((c) => [c.file.spec.destination, c.kind])).toEqual([
      ['/etc/site/a', 'changed'],
      ['/etc/site/b', 'changed'],
      ['/etc/site/c', 'new'],
    ]);
    // chrony once for its two files; containerd's file did not change.
    expect(plan.serviceRestarts).toEqual(['chrony']);
    expect(plan.engineRestarts).toEqual(['docker']);
  });

  it('only the mode or the owner differs: written again, nothing restarts; numeric ids compare as ids', () => {
    const plan = planHostFiles(
      [
        wanted({ destination: '/etc/site/a', mode: '0600', restart: 'docker' }),
        wanted({ destination: '/etc/site/b', owner: 'root:docker', restart: 'docker' }),
        wanted({ destination: '/etc/site/c', owner: '0:999' }),
        wanted({ destination: '/etc/site/d', owner: 'app' }),
      ],
      [
        onHost('content\n'),
        onHost('content\n'),
        onHost('content\n', { group: 'docker', gid: '999' }),
        onHost('content\n', { user: 'app', uid: '1000', group: 'staff' }),
      ],
    );
    expect(plan.changes.map((c) => [c.file.spec.destination, c.kind])).toEqual([
      ['/etc/site/a', 'mode'],
      ['/etc/site/b', 'owner'],
    ]);
    expect(plan.engineRestarts).toEqual([]);
  });

  it("refuses what the host resolves into eectl's places, what is not a regular file, and what it could not resolve", () => {
    const plan = planHostFiles(
      [
        wanted({ destination: '/etc/site/a' }),
        wanted({ destination: '/etc/site/b' }),
        wanted({ destination: '/etc/site/c' }),
      ],
      [
        { kind: 'missing', realDir: '/etc/eectl/pki' },
        { kind: 'other', what: 'directory', realDir: '/etc/site' },
        { kind: 'missing', realDir: undefined },
      ],
    );
    expect(plan.changes).toEqual([]);
    expect(plan.refusals).toEqual([
      "/etc/site/a (spec.files[0]) resolves to /etc/eectl/pki/a on the host: refused, it is one of eectl's own files or directories (a path part that names eectl: /etc/eectl, /var/lib/eectl, /opt/eectl, eectl's units, drop-ins and package sources)",
      '/etc/site/b (spec.files[0]) is a directory on the host: eectl replaces only regular files',
      '/etc/site/c (spec.files[0]) resolves to ? on the host: refused, its directory could not be resolved on the host',
    ]);
  });

  it("a host's entry wins over spec.files for its destination, and says where it is", () => {
    const cluster = [
      { source: '/a', destination: '/etc/x', mode: '0644' },
      { source: '/b', destination: '/etc/y', mode: '0644' },
    ];
    const files = filesForHost(
      cluster,
      { files: [{ source: '/c', destination: '/etc/y', mode: '0600' }] },
      2,
    );
    expect(files.map((f) => [f.spec.source, f.at])).toEqual([
      ['/a', 'spec.files[0]'],
      ['/c', 'spec.hosts[2].files[0]'],
    ]);
  });
});
