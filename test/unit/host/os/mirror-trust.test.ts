import { describe, expect, it } from 'vitest';
import { configurerFor } from '../../../../src/lib/host/os/index.js';
import type { UploadStep } from '../../../../src/lib/host/os/steps.js';
import { commands, DEBIAN_12, CENTOS_7, ROCKY_9, SLES_15, uploads } from './fixtures.js';

const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0test\n-----END PGP PUBLIC KEY BLOCK-----\n';
const signed = { source: 'mirror', repoUrl: 'http://mirror.internal/debian', repoKey: KEY } as const;
const withLogin = { ...signed, repoUrl: 'https://ci:s3cr%40t@mirror.internal:8443/el9/docker/' } as const;

const byPath = (steps: ReturnType<ReturnType<typeof configurerFor>['setupSource']>) =>
  new Map(uploads(steps).map((u: UploadStep) => [u.path, u]));
const worldReadable = (steps: ReturnType<ReturnType<typeof configurerFor>['setupSource']>) =>
  uploads(steps)
    .filter((u: UploadStep) => (u.mode & 0o044) !== 0)
    .map((u: UploadStep) => u.content)
    .join('\n');

describe('a mirror is signed unless the file says otherwise', () => {
  it('every family refuses a mirror with neither repoKey nor insecure: true', () => {
    for (const facts of [DEBIAN_12, ROCKY_9, SLES_15]) {
      expect(() => configurerFor(facts).setupSource({ source: 'mirror', repoUrl: 'http://m/' })).toThrow(
        expect.objectContaining({ code: 'EREPO_KEY' }),
      );
    }
  });

  it('apt: uploads the key and names it with signed-by (no trusted=yes)', () => {
    const steps = configurerFor(DEBIAN_12).setupSource(signed);
    const files = byPath(steps);
    expect(files.get('/etc/apt/keyrings/eectl-engine-mirror.asc')).toMatchObject({
      content: KEY,
      mode: 0o644,
    });
    const list = files.get('/etc/apt/sources.list.d/eectl-engine.list')!.content;
    expect(list).toContain(
      'deb [arch=amd64 signed-by=/etc/apt/keyrings/eectl-engine-mirror.asc] http://mirror.internal/debian bookworm main\n',
    );
    expect(list).not.toContain('trusted=yes');
    // The key is in place before the list that needs it.
    expect(uploads(steps).map((u: UploadStep) => u.path)).toEqual([
      '/etc/apt/keyrings/eectl-engine-mirror.asc',
      '/etc/apt/sources.list.d/eectl-engine.list',
    ]);
  });

  it('apt: the login goes to auth.conf.d (0600, secret), the list has the URL without it', () => {
    const steps = configurerFor(DEBIAN_12).setupSource(withLogin);
    const auth = byPath(steps).get('/etc/apt/auth.conf.d/eectl-engine.conf')!;
    expect(auth).toMatchObject({ mode: 0o600, secret: true });
    expect(auth.content).toBe('machine mirror.internal:8443/el9/docker/ login ci password s3cr@t\n');
    expect(worldReadable(steps)).not.toMatch(/s3cr|ci:/);
    expect(worldReadable(steps)).toContain(' https://mirror.internal:8443/el9/docker/ ');
    expect(commands(steps).flat().join(' ')).not.toContain('s3cr');
  });

  it('dnf: gpgcheck=1 with the key file; the password is a variable in a root-only file', () => {
    const steps = configurerFor(ROCKY_9).setupSource(withLogin);
    const files = byPath(steps);
    expect(files.get('/etc/pki/rpm-gpg/eectl-engine-mirror.asc')).toMatchObject({
      content: KEY,
      mode: 0o644,
    });
    const repo = files.get('/etc/yum.repos.d/eectl-engine.repo')!;
    expect(repo.mode).toBe(0o644);
    expect(repo.content).toContain('baseurl=https://mirror.internal:8443/el9/docker/\n');
    expect(repo.content).toContain('gpgcheck=1\n');
    expect(repo.content).toContain('gpgkey=file:///etc/pki/rpm-gpg/eectl-engine-mirror.asc\n');
    expect(repo.content).toContain('username=ci\npassword=$eectl_mirror_password\n');
    expect(files.get('/etc/dnf/vars/eectl_mirror_password')).toMatchObject({
      content: 's3cr@t',
      mode: 0o600,
      secret: true,
    });
    expect(worldReadable(steps)).not.toContain('s3cr');
    // yum (CentOS 7) reads its variables from its own directory.
    expect(
      byPath(configurerFor(CENTOS_7).setupSource(withLogin)).has('/etc/yum/vars/eectl_mirror_password'),
    ).toBe(true);
  });

  it('zypper: imports the given key file (not what the mirror serves), credentials in credentials.d', () => {
    const steps = configurerFor(SLES_15).setupSource(withLogin);
    const files = byPath(steps);
    expect(files.get('/etc/pki/rpm-gpg/eectl-engine-mirror.asc')?.content).toBe(KEY);
    expect(commands(steps)).toContainEqual(['rpm', '--import', '/etc/pki/rpm-gpg/eectl-engine-mirror.asc']);
    const repo = files.get('/etc/zypp/repos.d/eectl-engine.repo')!.content;
    expect(repo).toContain('baseurl=https://mirror.internal:8443/el9/docker/?credentials=eectl-engine\n');
    expect(repo).toContain('gpgcheck=1\n');
    expect(repo).toContain('pkg_gpgcheck=1\n');
    expect(repo).toContain('gpgkey=file:///etc/pki/rpm-gpg/eectl-engine-mirror.asc\n');
    expect(files.get('/etc/zypp/credentials.d/eectl-engine')).toMatchObject({
      content: 'username=ci\npassword=s3cr@t\n',
      mode: 0o600,
      secret: true,
    });
    expect(worldReadable(steps)).not.toContain('s3cr');
  });

  it('insecure: true writes the unsigned forms, and no key', () => {
    const insecure = { source: 'mirror', repoUrl: 'http://m/debian', insecure: true } as const;
    expect(uploads(configurerFor(DEBIAN_12).setupSource(insecure))[0]?.content).toContain(
      '[arch=amd64 trusted=yes]',
    );
    expect(
      byPath(configurerFor(ROCKY_9).setupSource(insecure)).get('/etc/yum.repos.d/eectl-engine.repo')?.content,
    ).toContain('gpgcheck=0\n');
    expect(
      byPath(configurerFor(SLES_15).setupSource(insecure)).has('/etc/pki/rpm-gpg/eectl-engine-mirror.asc'),
    ).toBe(false);
  });
});
