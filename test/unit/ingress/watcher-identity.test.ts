import { describe, expect, it } from 'vitest';
import { WATCHER_USER } from '../../../src/lib/host-layout.js';
import { watcherCertProblem, watcherUnit } from '../../../src/lib/phases/ingress-watcher.js';
import { createCa, issueClientCert } from '../../../src/lib/pki/certificates.js';

describe("the ingress watcher's identity on a manager", () => {
  it('runs as its own user with no capability, and cannot see the engine socket or the PKI folder', () => {
    const unit = watcherUnit();
    expect(unit).toMatch(new RegExp(`^User=${WATCHER_USER}$`, 'm'));
    expect(unit).toMatch(new RegExp(`^Group=${WATCHER_USER}$`, 'm'));
    expect(unit).toMatch(/^CapabilityBoundingSet=$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    const hidden = /^InaccessiblePaths=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    expect(hidden).toEqual(
      expect.arrayContaining(['-/run/docker.sock', '-/var/run/docker.sock', '-/etc/eectl/pki']),
    );
  });

  it('keeps a good certificate and issues again one that is missing, foreign, misnamed, mismatched or due', async () => {
    const ca = await createCa('test');
    const other = await createCa('other');
    const good = await issueClientCert(ca, WATCHER_USER);
    expect(watcherCertProblem(good.certPem, good.keyPem, ca.certPem)).toBeUndefined();
    expect(watcherCertProblem(undefined, good.keyPem, ca.certPem)).toBe('missing');
    expect(watcherCertProblem(good.certPem, undefined, ca.certPem)).toBe('missing');
    const foreign = await issueClientCert(other, WATCHER_USER);
    expect(watcherCertProblem(foreign.certPem, foreign.keyPem, ca.certPem)).toBe(
      'not issued by the cluster CA',
    );
    const admin = await issueClientCert(ca, 'admin');
    expect(watcherCertProblem(admin.certPem, admin.keyPem, ca.certPem)).toBe(`not for ${WATCHER_USER}`);
    const near = await issueClientCert(ca, `${WATCHER_USER}x`);
    expect(watcherCertProblem(near.certPem, near.keyPem, ca.certPem)).toBe(`not for ${WATCHER_USER}`);
    const again = await issueClientCert(ca, WATCHER_USER);
    expect(watcherCertProblem(good.certPem, again.keyPem, ca.certPem)).toBe('its key does not match');
    const later = new Date(Date.now() + 340 * 24 * 3600 * 1000);
    expect(watcherCertProblem(good.certPem, good.keyPem, ca.certPem, later)).toBe('due for renewal');
    expect(watcherCertProblem('garbage', good.keyPem, ca.certPem)).toBeDefined();
  });
});
