import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { provisionScript } from '../../../src/lib/sandbox/hosts.js';
import { releaseFile, versionsInIndex } from '../../../src/lib/sandbox/mirror.js';
import { upstreamVersion } from '../../../src/lib/sandbox/registry-image.js';
import { knownHostsLines, replaceKnownHosts } from '../../../src/lib/sandbox/ssh-keys.js';

describe('known_hosts of a sandbox', () => {
  it('records every host key type a host has, under its address', () => {
    const pubs = 'ecdsa-sha2-nistp256 AAAAE2 root@m1\nssh-ed25519 AAAAC3 root@m1\nssh-rsa AAAAB3 root@m1\n';
    expect(knownHostsLines('10.77.0.11', pubs)).toEqual([
      '10.77.0.11 ecdsa-sha2-nistp256 AAAAE2',
      '10.77.0.11 ssh-ed25519 AAAAC3',
      '10.77.0.11 ssh-rsa AAAAB3',
    ]);
    expect(knownHostsLines('10.77.0.11', 'cat: no such file\n')).toEqual([]);
  });

  it("replaces only the sandbox's addresses and keeps everyone else's entries", () => {
    const existing = 'other.example ssh-ed25519 K1\n10.77.0.11 ssh-ed25519 OLD\n10.77.0.110 ssh-ed25519 K2\n';
    expect(replaceKnownHosts(existing, ['10.77.0.11'], ['10.77.0.11 ssh-ed25519 NEW'])).toBe(
      'other.example ssh-ed25519 K1\n10.77.0.110 ssh-ed25519 K2\n10.77.0.11 ssh-ed25519 NEW\n',
    );
    expect(replaceKnownHosts('10.77.0.11 ssh-ed25519 OLD\n', ['10.77.0.11'], [])).toBe('');
  });
});

describe('provisioning a host', () => {
  it('quotes the key and the apt sources so they reach the files verbatim', () => {
    const script = provisionScript(
      "ssh-ed25519 AAAA it's-me",
      'deb [trusted=yes] http://10.77.0.1:18080/debian bookworm main\n',
    );
    expect(script).toContain(`printf '%s\\n' 'ssh-ed25519 AAAA it'\\''s-me' > /root/.ssh/authorized_keys`);
    expect(script).toContain('/home/eectl/.ssh/authorized_keys');
    expect(script).toContain('> /etc/apt/sources.list');
    expect(script.trim().split('\n').at(-1)).toBe('cat /etc/ssh/ssh_host_*_key.pub');
  });
});

describe('the mirror index', () => {
  it('lists every version of a package (dpkg-scanpackages -m keeps them all)', () => {
    const index = [
      'Package: docker.io\nVersion: 20.10.24+dfsg1-1+deb12u1+b6\n',
      'Package: docker.io-doc\nVersion: 1\n',
      'Package: docker.io\nVersion: 26.1.5+dfsg1-9+deb13u1+b1\n',
    ].join('\n');
    expect(versionsInIndex(index, 'docker.io')).toEqual([
      '20.10.24+dfsg1-1+deb12u1+b6',
      '26.1.5+dfsg1-9+deb13u1+b1',
    ]);
  });

  it('writes a Release file whose SHA256 lines match the index files', () => {
    const packages = Buffer.from('Package: x\n');
    const text = releaseFile({ 'main/binary-amd64/Packages': packages }, new Date('2026-01-02T03:04:05Z'));
    const sha = createHash('sha256').update(packages).digest('hex');
    expect(text).toContain(`SHA256:\n ${sha} ${packages.length} main/binary-amd64/Packages\n`);
    expect(text).toContain('Codename: bookworm');
    expect(text).toContain('Date: Fri, 02 Jan 2026 03:04:05 GMT');
  });

  it('tags the registry image with the upstream version of the Debian package', () => {
    expect(upstreamVersion('2.8.2+ds1-1')).toBe('2.8.2');
    expect(upstreamVersion('1:3.0.0~rc1-2')).toBe('3.0.0');
  });
});
