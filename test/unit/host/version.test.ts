import { describe, expect, it } from 'vitest';
import { compareDebVersions, compareRpmVersions } from '../../../src/lib/host/os/vercmp.js';
import {
  assertPackageVersionSyntax,
  assertSameUpstreamVersion,
  compareUpstream,
  resolveAcrossHosts,
  resolveEngineVersion,
  samePackageVersion,
  upstreamVersion,
} from '../../../src/lib/host/version.js';

const DOCKER_DEB = [
  '5:27.3.1-1~debian.12~bookworm',
  '5:26.10.0-1~debian.12~bookworm',
  '5:26.1.4-1~debian.12~bookworm',
  '5:26.1.3-1~debian.12~bookworm',
  '5:26.0.2-1~debian.12~bookworm',
  '5:20.10.24~3-0~debian-bookworm',
];
const DOCKER_RPM = ['3:27.3.1-1.el9', '3:26.1.4-1.el9', '3:26.1.3-1.el9', '3:20.10.24-1.el9'];

describe('upstreamVersion', () => {
  it.each([
    ['5:26.1.4-1~debian.12~bookworm', '26.1.4'],
    ['26.1.5+dfsg1-9+deb13u1+b1', '26.1.5'],
    ['20.10.24+dfsg1-1+b3', '20.10.24'],
    ['24.0.7-0ubuntu4.1', '24.0.7'],
    ['26.1.3-0ubuntu1~24.04.1', '26.1.3'],
    ['5:27.3.1-1~ubuntu.24.04~noble', '27.3.1'],
    ['3:26.1.4-1.el9', '26.1.4'],
    ['26.1.4-1.el9', '26.1.4'],
    ['24.0.7_ce-150000.198.2', '24.0.7'],
    ['2:1.13.1-209.git7d71120.el7.centos', '1.13.1'],
    ['5:18.09.1~3-0~debian-stretch', '18.09.1'],
    ['5:27.0.0~rc.1-1~debian.12~bookworm', '27.0.0-rc.1'],
    ['3:27.0.0-0.1.rc.1.el9', '27.0.0'],
  ])('%s → %s', (pkg, upstream) => {
    expect(upstreamVersion(pkg)).toBe(upstream);
  });
});

describe('package version order', () => {
  it.each([
    ['5:26.1.4-1~debian.12~bookworm', '5:26.1.3-1~debian.12~bookworm', 1],
    ['5:18.09.1~3-0~debian-stretch', '20.10.24+dfsg1-1+b3', 1], // the epoch decides
    ['26.1.5+dfsg1-9+deb13u1+b1', '26.1.5+dfsg1-9+b9', 1],
    ['24.0.7-0ubuntu4.1', '24.0.7-0ubuntu4', 1],
    ['26.1.3-0ubuntu1~22.04.1', '26.1.3-0ubuntu1~24.04.1', -1],
    ['1.0~rc1', '1.0', -1],
    ['5:26.10.0-1~debian.12~bookworm', '5:26.9.0-1~debian.12~bookworm', 1],
    ['1.00', '1.0', 0],
  ])('dpkg: %s vs %s → %i', (a, b, expected) => {
    expect(compareDebVersions(a, b)).toBe(expected);
    expect(compareDebVersions(b, a)).toBe(-expected || 0);
  });

  // Cases from rpm's own test suite (rpmvercmp.at).
  it.each([
    ['3:26.1.4-1.el9', '3:26.1.3-1.el9', 1],
    ['3:26.1.4-1.el9', '26.1.4-1.el9', 1],
    ['2.0.1a', '2.0.1', 1],
    ['5.5p10', '5.5p2', 1],
    ['10xyz', '10.1xyz', -1],
    ['xyz10', 'xyz10.1', -1],
    ['2a', '2.0', -1],
    ['1.010', '1.10', 0],
    ['6.0.rc1', '6.0', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1~git123', '1.0~rc1', -1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.01', -1],
    ['1.0^20160101', '1.0.1', -1],
    ['1.0~rc1^git1', '1.0~rc1', 1],
    ['1b.fc17', '1.fc17', -1],
    ['26.1.4-1.el9_2', '26.1.4-1.el9', 1],
  ])('rpm: %s vs %s → %i', (a, b, expected) => {
    expect(compareRpmVersions(a, b)).toBe(expected);
    expect(compareRpmVersions(b, a)).toBe(-expected || 0);
  });

  it('orders engine versions as numbers, zero padding included', () => {
    expect(compareUpstream('26.10.0', '26.9.0')).toBeGreaterThan(0);
    expect(compareUpstream('18.09.1', '19.03.0')).toBeLessThan(0);
    expect(compareUpstream('27.0.0-rc.1', '27.0.0')).toBeLessThan(0);
  });

  it('treats a build as the same with or without its epoch', () => {
    expect(samePackageVersion('3:26.1.4-1.el9', '1:26.1.4-1.el9')).toBe(true);
    expect(samePackageVersion('3:26.1.4-1.el9', '3:26.1.4-2.el9')).toBe(false);
  });
});

describe('resolveEngineVersion', () => {
  it('takes the newest version of a prefix, on dot boundaries only', () => {
    expect(resolveEngineVersion('26.1', DOCKER_DEB, 'deb')).toBe('5:26.1.4-1~debian.12~bookworm');
    expect(resolveEngineVersion('26', DOCKER_DEB, 'deb')).toBe('5:26.10.0-1~debian.12~bookworm');
    expect(resolveEngineVersion('20.10', DOCKER_DEB, 'deb')).toBe('5:20.10.24~3-0~debian-bookworm');
    expect(resolveEngineVersion('26.1', DOCKER_RPM, 'rpm')).toBe('3:26.1.4-1.el9');
  });

  it('does not let "26.1" match 26.10 nor "2" match 20.10', () => {
    expect(() => resolveEngineVersion('26.1', ['5:26.10.0-1~debian.12~bookworm'], 'deb')).toThrow(
      expect.objectContaining({ code: 'EVERSION_NOT_FOUND' }),
    );
    expect(() => resolveEngineVersion('2', ['20.10.24+dfsg1-1+b3'], 'deb')).toThrow(/matches none/);
  });

  it('matches Debian and Ubuntu distribution packages', () => {
    expect(resolveEngineVersion('26.1', ['26.1.5+dfsg1-9+deb13u1+b1', '26.1.5+dfsg1-9+b9'], 'deb')).toBe(
      '26.1.5+dfsg1-9+deb13u1+b1',
    );
    expect(resolveEngineVersion('26.1.3', ['24.0.7-0ubuntu4.1', '26.1.3-0ubuntu1~24.04.1'], 'deb')).toBe(
      '26.1.3-0ubuntu1~24.04.1',
    );
  });

  it('takes an exact package version as-is, with or without its epoch', () => {
    expect(resolveEngineVersion('5:26.1.3-1~debian.12~bookworm', DOCKER_DEB, 'deb')).toBe(
      '5:26.1.3-1~debian.12~bookworm',
    );
    expect(resolveEngineVersion('26.1.3-1.el9', DOCKER_RPM, 'rpm')).toBe('3:26.1.3-1.el9');
  });

  it('takes the newest stable version when none is requested', () => {
    const withRc = ['5:27.0.0~rc.1-1~debian.12~bookworm', ...DOCKER_DEB.slice(1)];
    expect(resolveEngineVersion(undefined, withRc, 'deb')).toBe('5:26.10.0-1~debian.12~bookworm');
    expect(resolveEngineVersion(undefined, DOCKER_RPM, 'rpm')).toBe('3:27.3.1-1.el9');
    expect(resolveEngineVersion('27.0.0-rc.1', withRc, 'deb')).toBe('5:27.0.0~rc.1-1~debian.12~bookworm');
    expect(() => resolveEngineVersion('27', withRc, 'deb')).toThrow(/matches none/);
  });

  it('lists what is available, newest first, when nothing matches', () => {
    const error = (() => {
      try {
        resolveEngineVersion('25', DOCKER_RPM, 'rpm', '10.0.0.11');
      } catch (e) {
        return e as Error & Record<string, unknown>;
      }
      throw new Error('did not throw');
    })();
    expect(error.message).toBe(
      '10.0.0.11: engine.version "25" matches none of the available versions: ' +
        '3:27.3.1-1.el9, 3:26.1.4-1.el9, 3:26.1.3-1.el9, 3:20.10.24-1.el9',
    );
    expect(error).toMatchObject({ code: 'EVERSION_NOT_FOUND', exitCode: 3, host: '10.0.0.11' });
    expect(error.suggestions).toEqual([expect.stringContaining('"27.3.1"')]);
  });

  it('shortens a long list and explains an empty one', () => {
    const many = Array.from({ length: 20 }, (_, i) => `3:20.10.${i}-1.el9`);
    expect(() => resolveEngineVersion('99', many, 'rpm')).toThrow(/3:20\.10\.19-1\.el9, .* … and 5 older$/);
    expect(() => resolveEngineVersion('26.1', [], 'deb')).toThrow(/no engine package is available/);
  });
});

describe('resolveAcrossHosts', () => {
  it('picks the newest upstream version every host offers', () => {
    const resolved = resolveAcrossHosts('26.1', [
      { host: 'deb', available: DOCKER_DEB, family: 'deb' },
      { host: 'el', available: ['3:26.1.3-1.el9', '3:26.0.2-1.el9'], family: 'rpm' },
    ]);
    expect([...resolved]).toEqual([
      ['deb', '5:26.1.3-1~debian.12~bookworm'],
      ['el', '3:26.1.3-1.el9'],
    ]);
  });

  it('names each host and its version when the hosts share none', () => {
    const attempt = () =>
      resolveAcrossHosts('26.1', [
        { host: '10.0.0.11', available: ['26.1.5+dfsg1-9+b9'], family: 'deb' },
        { host: '10.0.0.12', available: DOCKER_RPM, family: 'rpm' },
      ]);
    expect(attempt).toThrow(expect.objectContaining({ code: 'EVERSION_MISMATCH', exitCode: 3 }));
    expect(attempt).toThrow(/10\.0\.0\.11 → 26\.1\.5 \(26\.1\.5\+dfsg1-9\+b9\)\n {2}10\.0\.0\.12 → 26\.1\.4/);
  });

  it('names the host that has no match at all', () => {
    expect(() =>
      resolveAcrossHosts('26.1', [
        { host: 'a', available: DOCKER_DEB, family: 'deb' },
        { host: 'b', available: ['3:20.10.24-1.el9'], family: 'rpm' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'EVERSION_NOT_FOUND', host: 'b' }));
  });
});

describe('assertSameUpstreamVersion', () => {
  it('accepts different packagings of one engine version', () => {
    const byHost = new Map([
      ['a', '5:26.1.4-1~debian.12~bookworm'],
      ['b', '3:26.1.4-1.el9'],
    ]);
    expect(assertSameUpstreamVersion(byHost)).toBe('26.1.4');
  });

  it('lists host → version when they differ', () => {
    const byHost = new Map([
      ['a', '5:26.1.4-1~debian.12~bookworm'],
      ['b', '24.0.7_ce-150000.198.2'],
    ]);
    expect(() => assertSameUpstreamVersion(byHost)).toThrow(
      'Engine versions differ between hosts: the hosts do not agree on one engine version:\n' +
        '  a → 26.1.4 (5:26.1.4-1~debian.12~bookworm)\n' +
        '  b → 24.0.7 (24.0.7_ce-150000.198.2)',
    );
  });
});

describe('assertPackageVersionSyntax', () => {
  it.each(["26.1'; rm -rf /", '26.1 x', '-o', '$(reboot)', '26.1\n', ''])('refuses %j', (v) => {
    expect(() => assertPackageVersionSyntax(v)).toThrow(expect.objectContaining({ code: 'EVERSION_SYNTAX' }));
  });

  it.each(['5:26.1.4-1~debian.12~bookworm', '24.0.7_ce-150000.198.2', '26.1.5+dfsg1-9+b9'])(
    'accepts %s',
    (v) => {
      expect(() => assertPackageVersionSyntax(v)).not.toThrow();
    },
  );
});
