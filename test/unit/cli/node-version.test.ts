import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeVersionProblem, requiredNodeMajor } from '../../../bin/node-version.js';

describe('the Node version check of bin/run.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eectl-node-'));
  const projectNode = join(dir, 'node');
  writeFileSync(projectNode, '');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the required major from package.json's engines.node", () => {
    expect(requiredNodeMajor()).toBe(22);
  });

  it('accepts the required major and later ones', () => {
    expect(nodeVersionProblem('v22.0.0', '/n', ['status'], projectNode, 22)).toBeUndefined();
    expect(nodeVersionProblem('v24.3.1', '/n', ['status'], projectNode, 22)).toBeUndefined();
  });

  it('refuses an older one: what runs, what is needed, and how to run it with the Node the clone has', () => {
    const p = nodeVersionProblem('v20.20.2', '/usr/bin/node', ['status', '-c', 'a b.yaml'], projectNode, 22);
    expect(p?.stdout).toBeUndefined();
    expect(p?.stderr).toMatch(
      /^Error \[ENODE_VERSION\] eectl needs Node\.js 22 or later; this is Node\.js 20\.20\.2 \(\/usr\/bin\/node\)\n/,
    );
    expect(p?.stderr).toContain(`${projectNode} `);
    expect(p?.stderr).toMatch(/bin\/run\.js status -c 'a b\.yaml'\n/);
    expect(p?.stderr).toContain('Install Node.js 22 or later');
  });

  it('without a clone (an installed package) only says to install Node 22', () => {
    const p = nodeVersionProblem('v18.19.0', '/usr/bin/node', [], join(dir, 'missing'), 22);
    expect(p?.stderr).not.toContain('npm ci');
    expect(p?.stderr).toContain('Install Node.js 22 or later');
  });

  it('under --json, prints the error envelope on stdout and nothing on stderr', () => {
    const p = nodeVersionProblem('v20.1.0', '/usr/bin/node', ['status', '--json'], projectNode, 22);
    expect(p?.stderr).toBe('');
    const json = JSON.parse(p?.stdout ?? '') as { status: number; error: Record<string, unknown> };
    expect(json.status).toBe(2);
    expect(json.error).toMatchObject({ code: 'ENODE_VERSION' });
    expect(json.error.message).toContain('Node.js 22');
    expect(json.error.suggestions).toHaveLength(2);
  });
});
