import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eectl } from './cli.js';

const BROKEN = `apiVersion: eectl/v1
kind: Cluster
metadata:
  name: prod
spec:
  hosts:
    - address: 10.0.0.1
      role: manager
    - address: 10.0.0.2
      role: manager
    - address: 10.0.0.3
      role: registry
      adress: 10.0.0.4
    - address: 10.0.0.5
      role: boss
`;

const VALID_WITH_WARNING = `apiVersion: eectl/v1
kind: Cluster
metadata: { name: lab }
spec:
  hosts:
    - { address: 10.0.0.1, role: manager, ssh: { user: $SSH_USER } }
`;

describe('eectl config validate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-validate-'));
    writeFileSync(join(dir, 'cluster.yaml'), BROKEN);
    writeFileSync(join(dir, 'lab.yaml'), VALID_WITH_WARNING);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every problem with file:line:col and exits 2', async () => {
    const { code, stdout, stderr } = await eectl(['config', 'validate'], { cwd: dir });
    expect(code).toBe(2);
    expect(stdout.split('\n')).toEqual([
      'cluster.yaml:13:7: spec.hosts[2]: unknown key "adress" (did you mean "address"?)',
      'cluster.yaml:15:13: spec.hosts[3].role: must be one of manager, worker, registry',
    ]);
    expect(stderr).toContain('[ECONFIG] cluster.yaml is not valid: 2 errors, 0 warnings');
  });

  it('lists the problems in JSON, still exiting 2', async () => {
    const { code, stdout } = await eectl(['config', 'validate', '--json'], { cwd: dir });
    expect(code).toBe(2);
    const json = JSON.parse(stdout) as { status: number; error: { code: string }; result: unknown };
    expect(json.status).toBe(2);
    expect(json.error.code).toBe('ECONFIG');
    expect(json.result).toEqual({
      valid: false,
      errors: [
        {
          severity: 'error',
          file: 'cluster.yaml',
          line: 13,
          col: 7,
          path: 'spec.hosts[2]',
          message: 'unknown key "adress" (did you mean "address"?)',
        },
        {
          severity: 'error',
          file: 'cluster.yaml',
          line: 15,
          col: 13,
          path: 'spec.hosts[3].role',
          message: 'must be one of manager, worker, registry',
        },
      ],
      warnings: [],
    });
  });

  it('exits 0 on warnings alone, substituting the environment, and reads -c and EECTL_CONFIG', async () => {
    const env = { SSH_USER: 'ops' };
    const human = await eectl(['config', 'validate', '-c', 'lab.yaml'], { cwd: dir, env });
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(
      'lab.yaml:6:5: warning: spec.hosts: 1 manager: no fault tolerance: lose it and the cluster cannot be managed\n' +
        'lab.yaml: valid (1 warning)',
    );
    const json = await eectl(['config', 'validate', '--json'], {
      cwd: dir,
      env: { ...env, EECTL_CONFIG: 'lab.yaml' },
    });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 0,
      result: { valid: true, errors: [], warnings: [{ line: 6, col: 5 }] },
    });
  });

  it('names an unset variable and where it is used', async () => {
    const { code, stdout } = await eectl(['config', 'validate', '-c', 'lab.yaml'], { cwd: dir });
    expect(code).toBe(2);
    expect(stdout).toBe(
      'lab.yaml:6:56: spec.hosts[0].ssh.user: environment variable SSH_USER is not set (set it, or write ${SSH_USER:-default})',
    );
  });

  it('reports a file that cannot be read', async () => {
    const { code, stdout } = await eectl(['config', 'validate', '-c', 'missing.yaml', '--json'], {
      cwd: dir,
    });
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({
      error: { code: 'ECONFIG', message: 'cannot read missing.yaml: no such file' },
      result: { valid: false, errors: [{ file: 'missing.yaml', message: 'cannot read: no such file' }] },
    });
  });
});
