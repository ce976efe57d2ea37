import { describe, expect, it } from 'vitest';
import {
  debianMirrorsFrom,
  hostAptSources,
  privateAptOptions,
  privateSourcesList,
} from '../../../src/lib/sandbox/apt.js';

const DEB822 = `Types: deb
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('apt for the sandbox', () => {
  it("finds the machine's Debian mirror in deb822 and one-line sources", () => {
    expect(debianMirrorsFrom([DEB822])).toEqual({
      debian: 'http://mirror.example/debian',
      security: 'http://mirror.example/debian-security',
    });
    const oneLine =
      '# comment\ndeb https://deb.nodesource.com/node_20.x nodistro main\ndeb [arch=amd64] http://m/debian bookworm main\n';
    expect(debianMirrorsFrom([oneLine])).toEqual({ debian: 'http://m/debian', security: undefined });
    expect(debianMirrorsFrom([])).toEqual({ debian: undefined, security: undefined });
  });

  it('fetches from bookworm (with updates and security) and trixie, signed by the Debian keyring', () => {
    const text = privateSourcesList({ debian: 'http://m/debian', security: 'http://m/debian-security' });
    expect(text.trim().split('\n')).toEqual([
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian bookworm main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian bookworm-updates main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian-security bookworm-security main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian trixie main',
    ]);
  });

  it("keeps apt inside its workspace and resolves against the hosts' dpkg status, preferring bookworm", () => {
    const options = privateAptOptions('/cache/apt', '/cache/rootfs/x.status');
    const pairs = new Map(
      options
        .filter((_, i) => i % 2 === 1)
        .map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]),
    );
    expect(pairs.get('Dir::State::status')).toBe('/cache/rootfs/x.status');
    expect(pairs.get('Dir::Etc::SourceList')).toBe('/cache/apt/sources.list');
    expect(pairs.get('Dir::Etc::SourceParts')).toBe('/cache/apt/sources.list.d');
    expect(pairs.get('Dir::State::Lists')).toBe('/cache/apt/lists');
    expect(pairs.get('APT::Default-Release')).toBe('bookworm');
    expect([...pairs.values()].every((v) => !v.startsWith('/etc/apt') && !v.startsWith('/var/lib/apt'))).toBe(
      true,
    );
  });

  it("gives hosts the mirror as their only source, under the name eectl's signed source does not use", () => {
    const lines = hostAptSources('http://10.77.0.1:18080/debian')
      .split('\n')
      .filter((l) => l.startsWith('deb'));
    expect(lines).toEqual(['deb [trusted=yes] http://10.77.0.1:18080/debian-host bookworm main']);
  });
});
