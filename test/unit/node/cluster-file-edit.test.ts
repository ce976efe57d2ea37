import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addHost, removeHost, setHostRole } from '../../../src/lib/config/edit.js';
import { check } from '../config/helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const example = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');

/** Lines of `after` that are not in `before`, and the other way round (a line-level diff, as a reviewer sees it). */
function diff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

const HOSTS_WITH_COMMENTS = `# Production cluster: do not edit by hand on Fridays.
apiVersion: eectl/v1
kind: Cluster
metadata:
  name: prod # the name shows in logs
spec:
  hosts:
    # managers
    - address: 10.0.0.11
      role: manager
      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }
    - address: 10.0.0.12
      role: manager # was a worker until March
      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }
    - address: 10.0.0.13
      role: 'manager'
      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }
    # workers
    - address: 10.0.0.21
      role: worker
      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }
      labels: { tier: app }

  engine:
    source: docker # Docker's own repositories
    version: '26.1'
  swarm:
    defaultAddrPool: [10.20.0.0/16]
`;

describe('adding a host to cluster.yaml', () => {
  it('appends it after the last host, written like it, and changes no other line (comments included)', () => {
    const after = addHost(HOSTS_WITH_COMMENTS, {
      address: '10.0.0.22',
      role: 'worker',
      ssh: { user: 'ops', keyPath: '~/.ssh/id_ed25519' },
    });
    expect(diff(HOSTS_WITH_COMMENTS, after)).toEqual({
      removed: [],
      added: [
        '    - address: 10.0.0.22',
        '      role: worker',
        '      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }',
      ],
    });
    expect(check(after).errors).toEqual([]);
    expect(check(after).config?.spec.hosts.at(-1)).toMatchObject({ address: '10.0.0.22', role: 'worker' });
  });

  it('writes a one-line host into a list of one-line hosts, with their spacing', () => {
    const before = example('s3-registry.yaml');
    const after = addHost(before, { address: '10.2.0.34', role: 'registry' });
    expect(diff(before, after)).toEqual({
      removed: [],
      added: ['    - { address: 10.2.0.34, role: registry }'],
    });
  });

  it('keeps every line of the shipped examples, whose flow maps and lists are spaced differently', () => {
    for (const name of ['ha.yaml', 'minimal.yaml', 'air-gapped.yaml', 's3-registry.yaml']) {
      const before = example(name);
      const after = addHost(before, {
        address: '10.9.9.9',
        role: 'worker',
        ssh: { user: 'ops', port: 2222 },
      });
      const { removed, added } = diff(before, after);
      expect(removed, name).toEqual([]);
      expect(added.length, name).toBeGreaterThan(0);
      expect(added.join('\n'), name).toContain('10.9.9.9');
      expect(parse(after).spec.hosts.at(-1), name).toEqual({
        address: '10.9.9.9',
        role: 'worker',
        ssh: { user: 'ops', port: 2222 },
      });
    }
  });

  it('quotes what YAML would misread, and follows a block-style ssh map with its indentation', () => {
    const before = `apiVersion: eectl/v1
kind: Cluster
metadata: { name: t }
spec:
  hosts:
  - address: a.example.com
    role: manager
    ssh:
        user: ops
        keyPath: /keys/a
`;
    const after = addHost(before, {
      address: 'b.example.com',
      role: 'worker',
      ssh: { user: 'ops', keyPath: '/keys/b: #1' },
    });
    expect(diff(before, after).added).toEqual([
      '  - address: b.example.com',
      '    role: worker',
      '    ssh:',
      '        user: ops',
      '        keyPath: "/keys/b: #1"',
    ]);
    expect(parse(after).spec.hosts[1].ssh.keyPath).toBe('/keys/b: #1');
  });

  it('adds a newline first when the file does not end with one', () => {
    const before = HOSTS_WITH_COMMENTS.replace(/\n {2}engine:[\s\S]*$/, '').trimEnd();
    const after = addHost(before, { address: 'x', role: 'worker' });
    expect(after.startsWith(before)).toBe(true);
    expect(parse(after).spec.hosts.map((h: { address: string }) => h.address)).toContain('x');
  });
});

describe('removing a host from cluster.yaml', () => {
  it('takes out its lines only; comments above it and around it stay', () => {
    const after = removeHost(HOSTS_WITH_COMMENTS, 1);
    const lines = [
      '    - address: 10.0.0.12',
      '      role: manager # was a worker until March',
      '      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }',
    ];
    expect(after).toBe(HOSTS_WITH_COMMENTS.replace(`${lines.join('\n')}\n`, ''));
    expect(after).toContain('# Production cluster');
    expect(after).toContain('# managers');
    expect(after).toContain('# workers');
    expect(after).toContain('# Docker');
  });

  it('removes the last host of the list and keeps the blank line and the rest after it', () => {
    const after = removeHost(HOSTS_WITH_COMMENTS, 3);
    expect(diff(HOSTS_WITH_COMMENTS, after).removed).toEqual([
      '    - address: 10.0.0.21',
      '      role: worker',
      '      ssh: { user: ops, keyPath: ~/.ssh/id_ed25519 }',
      '      labels: { tier: app }',
    ]);
    expect(after).toContain('    # workers\n\n  engine:');
    expect(check(after).config?.spec.hosts.map((h) => h.address)).toEqual([
      '10.0.0.11',
      '10.0.0.12',
      '10.0.0.13',
    ]);
  });

  it('removes a one-line host', () => {
    const before = example('s3-registry.yaml');
    const after = removeHost(before, 4);
    expect(diff(before, after)).toEqual({
      removed: ['    - { address: 10.2.0.32, role: registry }'],
      added: [],
    });
  });
});

describe("changing a host's role in cluster.yaml", () => {
  it('rewrites the role value only, keeping the comment on its line', () => {
    const after = setHostRole(HOSTS_WITH_COMMENTS, 1, 'worker');
    expect(diff(HOSTS_WITH_COMMENTS, after)).toEqual({
      removed: ['      role: manager # was a worker until March'],
      added: ['      role: worker # was a worker until March'],
    });
  });

  it('replaces a quoted role and a role inside a one-line host', () => {
    expect(diff(HOSTS_WITH_COMMENTS, setHostRole(HOSTS_WITH_COMMENTS, 2, 'worker')).added).toEqual([
      '      role: worker',
    ]);
    const s3 = example('s3-registry.yaml');
    expect(diff(s3, setHostRole(s3, 0, 'worker')).added).toEqual([
      '    - { address: 10.2.0.11, role: worker }',
    ]);
  });
});

describe('layouts too unusual to splice', () => {
  it('fall back to the Document API, which still keeps the comments', () => {
    const before = `apiVersion: eectl/v1 # v1
kind: Cluster
metadata: { name: t }
spec:
  # all hosts on one line
  hosts: [{ address: a, role: manager }, { address: b, role: worker }]
`;
    const added = addHost(before, { address: 'c', role: 'worker' });
    expect(parse(added).spec.hosts.map((h: { address: string }) => h.address)).toEqual(['a', 'b', 'c']);
    expect(added).toContain('# all hosts on one line');
    expect(added).toContain('# v1');
    const removed = removeHost(before, 1);
    expect(parse(removed).spec.hosts).toEqual([{ address: 'a', role: 'manager' }]);
    expect(removed).toContain('# all hosts on one line');
  });
});
