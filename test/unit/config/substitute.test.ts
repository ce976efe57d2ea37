import { describe, expect, it } from 'vitest';
import { check, HEAD, lines } from './helpers.js';

const oneHost = (ssh: string) => `${HEAD}  hosts:
    - address: 10.0.0.1
      role: manager
      ssh: ${ssh}
`;

describe('environment substitution', () => {
  it('replaces $VAR and ${VAR} in values', () => {
    const { config, errors } = check(oneHost('{ user: $SSH_USER, keyPath: "/keys/${CLUSTER}.key" }'), {
      SSH_USER: 'ops',
      CLUSTER: 'prod',
    });
    expect(errors).toEqual([]);
    expect(config?.spec.hosts[0]?.ssh).toMatchObject({ user: 'ops', keyPath: '/keys/prod.key' });
  });

  it('uses the default of ${VAR:-default} when the variable is unset or empty', () => {
    const text = oneHost('{ user: "${SSH_USER:-root}", keyPath: "${KEY:-/keys/default}" }');
    const { config } = check(text, { KEY: '' });
    expect(config?.spec.hosts[0]?.ssh).toMatchObject({ user: 'root', keyPath: '/keys/default' });
    expect(check(text, { SSH_USER: 'ops' }).config?.spec.hosts[0]?.ssh.user).toBe('ops');
  });

  it('reads $$ as a literal dollar', () => {
    const { config } = check(oneHost('{ user: "ab$$", keyPath: "/k/$$HOME" }'), { HOME: '/root' });
    expect(config?.spec.hosts[0]?.ssh).toMatchObject({ user: 'ab$', keyPath: '/k/$HOME' });
  });

  it('leaves a $ that starts no name alone', () => {
    const { config } = check(oneHost('{ user: "cost$", keyPath: "/k/$1" }'));
    expect(config?.spec.hosts[0]?.ssh).toMatchObject({ user: 'cost$', keyPath: '/k/$1' });
  });

  it('reports an unset variable at its own position, naming it, once per reference', () => {
    const text = oneHost('{ user: $SSH_USER, keyPath: "/keys/${CLUSTER}/${SSH_USER}" }');
    expect(lines(text)).toEqual([
      'cluster.yaml:9:20: spec.hosts[0].ssh.user: environment variable SSH_USER is not set (set it, or write ${SSH_USER:-default})',
      'cluster.yaml:9:47: spec.hosts[0].ssh.keyPath: environment variable CLUSTER is not set (set it, or write ${CLUSTER:-default})',
      'cluster.yaml:9:58: spec.hosts[0].ssh.keyPath: environment variable SSH_USER is not set (set it, or write ${SSH_USER:-default})',
    ]);
  });

  it('finds the position inside block scalars and after escaped dollars', () => {
    const text = `${HEAD}  hosts:
    - address: 10.0.0.1
      role: manager
      labels:
        note: |
          first line
          costs $$5 and $NOTE
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:12:25: spec.hosts[0].labels.note: environment variable NOTE is not set (set it, or write ${NOTE:-default})',
    ]);
  });

  it('reports a malformed reference', () => {
    expect(lines(oneHost('{ user: "${SSH USER}" }'))).toEqual([
      'cluster.yaml:9:21: spec.hosts[0].ssh.user: "${SSH USER}" is not a variable reference: write ${NAME}, or $$ for a literal $',
    ]);
  });

  it('does not report schema noise for a value whose variable is missing', () => {
    expect(lines(oneHost('{ port: $SSH_PORT }'))).toHaveLength(1);
  });

  it('types an unquoted value that becomes a number or boolean, and keeps quoted ones as strings', () => {
    const text = `${HEAD}  hosts:
    - address: 10.0.0.1
      role: manager
      localhost: $LOCAL
      ssh: { port: $SSH_PORT, user: "$NUMERIC_USER" }
`;
    const { config, errors } = check(text, { LOCAL: 'true', SSH_PORT: '2222', NUMERIC_USER: '1000' });
    expect(errors).toEqual([]);
    expect(config?.spec.hosts[0]).toMatchObject({ localhost: true, ssh: { port: 2222, user: '1000' } });
  });

  it('leaves keys and comments alone, and substitutes anchored values once for every alias', () => {
    const text = `${HEAD}  hosts:
    - address: 10.0.0.1 # $NOT_A_VALUE
      role: manager
      ssh: &ssh { user: $SSH_USER }
    - address: 10.0.0.2
      role: worker
      ssh: *ssh
  engine:
    daemon: { $KEY: x }
`;
    const { config, errors } = check(text, { SSH_USER: 'ops' });
    expect(errors).toEqual([]);
    expect(config?.spec.engine.daemon).toEqual({ $KEY: 'x' });
    expect(config?.spec.hosts.map((h) => h.ssh.user)).toEqual(['ops', 'ops']);
  });
});
