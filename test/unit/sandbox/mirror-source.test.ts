import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/lib/errors.js';
import { aptSourceTexts, machineDebianMirrors } from '../../../src/lib/sandbox/apt.js';
import { sandboxesWithPrefix as withPrefix } from '../../../src/lib/sandbox/list.js';

const root = mkdtempSync(join(tmpdir(), 'eectl-apt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the sandbox's Debian mirror", () => {
  it("comes from this machine's sources.list, *.list and deb822 *.sources", () => {
    mkdirSync(join(root, 'sources.list.d'), { recursive: true });
    writeFileSync(
      join(root, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://local.mirror/debian/\nSuites: bookworm\n',
    );
    writeFileSync(join(root, 'sources.list.d', 'other.list'), 'deb http://node.example/ nodistro main\n');
    writeFileSync(join(root, 'sources.list.d', 'ignored.save'), 'deb http://wrong/debian bookworm main\n');
    const texts = aptSourceTexts(root);
    expect(texts).toHaveLength(2);
    expect(machineDebianMirrors({ sourceTexts: texts }).debian).toBe('http://local.mirror/debian');
  });

  it('is --mirror when given, whatever the sources say', () => {
    const found = machineDebianMirrors({ mirror: 'http://flag.mirror/debian/', sourceTexts: [] });
    expect(found.debian).toBe('http://flag.mirror/debian');
  });

  it('is never a public address written in the code: with neither, a usage error says how to give one', () => {
    const saved = process.env.EECTL_SANDBOX_DEBIAN_MIRROR;
    delete process.env.EECTL_SANDBOX_DEBIAN_MIRROR;
    try {
      const mirrors = machineDebianMirrors({ sourceTexts: ['deb http://node.example/ nodistro main\n'] });
      let error: unknown;
      try {
        void mirrors.debian;
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).suggestions.join(' ')).toContain('--mirror');
    } finally {
      if (saved !== undefined) process.env.EECTL_SANDBOX_DEBIAN_MIRROR = saved;
    }
  });
});

describe('sandbox down --all --prefix', () => {
  it('removes only the sandboxes whose name starts with the prefix', () => {
    expect(withPrefix(['e2e-a-x', 'e2e-b-y', 'dev'], 'e2e-a-')).toEqual(['e2e-a-x']);
    expect(withPrefix(['e2e-a-x', 'dev'], undefined)).toEqual(['e2e-a-x', 'dev']);
  });
});
