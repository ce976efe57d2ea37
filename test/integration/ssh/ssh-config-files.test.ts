import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSshConfig, lookupSshConfig } from '../../../src/lib/ssh/ssh-config.js';

describe('loadSshConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eectl-sshconf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('expands Include (relative, globbed, sorted) and returns undefined for a missing file', () => {
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '20-b.conf'), 'Host b\n  Port 2\n');
    writeFileSync(join(dir, 'conf.d', '10-a.conf'), 'Host a\n  Port 1\nHost b\n  Port 99\n');
    writeFileSync(join(dir, 'config'), 'Include conf.d/*.conf\nHost *\n  User everyone\n');
    const loaded = loadSshConfig(join(dir, 'config'));
    expect(lookupSshConfig(loaded, 'a')).toMatchObject({ port: 1, user: 'everyone' });
    // 10-a.conf comes first, so its "Host b" wins.
    expect(lookupSshConfig(loaded, 'b')).toMatchObject({ port: 99 });
    expect(loadSshConfig(join(dir, 'absent'))).toBeUndefined();
  });
});
