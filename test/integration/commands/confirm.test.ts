import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eectl } from './cli.js';

// TEST-NET-1 addresses: nothing answers there, so a command that tried to connect would fail differently.
const FILE = `apiVersion: eectl/v1
kind: Cluster
metadata: { name: lab }
spec:
  hosts:
    - { address: 192.0.2.11, role: manager }
    - { address: 192.0.2.21, role: worker }
`;

describe('confirmations without a terminal (BaseCommand.confirmOrStop)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-confirm-'));
    writeFileSync(join(dir, 'cluster.yaml'), FILE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reset stops with ECONFIRM and exit 2 before it reaches any host, saying how to confirm', async () => {
    const human = await eectl(['reset'], { cwd: dir });
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(
      /\[ECONFIRM\] reset destroys cluster lab and asks first; there is no terminal/,
    );
    expect(human.stderr).toContain('nothing was changed');
    expect(human.stderr).toContain('Pass --yes to reset without asking');
    // Refused before connecting: no host was tried, so no connection error is mentioned.
    expect(human.stderr).not.toMatch(/192\.0\.2\./);

    const json = await eectl(['reset', '--json'], { cwd: dir });
    expect(json.code).toBe(2);
    const envelope = JSON.parse(json.stdout) as {
      status: number;
      error: { code: string; suggestions: string[] };
    };
    expect(envelope.status).toBe(2);
    expect(envelope.error.code).toBe('ECONFIRM');
    expect(envelope.error.suggestions.join(' ')).toContain('--dry-run');
  });
});
