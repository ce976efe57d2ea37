import { describe, expect, it } from 'vitest';
import { apiDropIn, conflictingDaemonKeys } from '../../../src/lib/pki/api-drop-in.js';
import { agreeOnCa, completeCa } from '../../../src/lib/pki/ca-store.js';
import { createCa, issueServerCert, LEAF_VALIDITY_DAYS } from '../../../src/lib/pki/certificates.js';
import {
  daysLeft,
  isDue,
  sameCertificate,
  serverCertificateProblem,
  serverNames,
} from '../../../src/lib/pki/inspect.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');

describe('serverNames', () => {
  it('covers hostname, loopback, every address and the SANs, sorted, deduplicated, IPs apart from names', () => {
    const names = serverNames(
      'm1',
      ['10.0.0.11', '10.0.0.11', 'M1.Example.com'],
      ['api.example.com', '192.0.2.10'],
    );
    expect(names).toEqual({
      commonName: 'm1',
      dnsNames: ['api.example.com', 'localhost', 'm1', 'm1.example.com'],
      ipAddresses: ['10.0.0.11', '127.0.0.1', '192.0.2.10'],
    });
  });
});

describe('serverCertificateProblem: when install issues a new server certificate', async () => {
  const ca = await createCa('prod', NOW);
  const names = serverNames('m1', ['10.0.0.11'], []);
  const cert = await issueServerCert(ca, names, NOW);

  it('none for a current certificate of this CA with these names', () => {
    expect(serverCertificateProblem(cert.certPem, ca.certPem, names, NOW)).toBeUndefined();
  });

  it('missing, unreadable, or from another CA', async () => {
    const other = await createCa('prod', NOW);
    expect(serverCertificateProblem(undefined, ca.certPem, names, NOW)).toMatch(/no server certificate/);
    expect(serverCertificateProblem('garbage', ca.certPem, names, NOW)).toMatch(/cannot be read/);
    expect(serverCertificateProblem(cert.certPem, other.certPem, names, NOW)).toMatch(/another CA/);
  });

  it('due in its last 30 days, not before', () => {
    const day335 = new Date(NOW.getTime() + (LEAF_VALIDITY_DAYS - 31) * DAY);
    const day340 = new Date(NOW.getTime() + (LEAF_VALIDITY_DAYS - 25) * DAY);
    expect(serverCertificateProblem(cert.certPem, ca.certPem, names, day335)).toBeUndefined();
    expect(serverCertificateProblem(cert.certPem, ca.certPem, names, day340)).toMatch(/expires in 25 days/);
    expect(isDue(new Date(NOW.getTime() + 29 * DAY), NOW)).toBe(true);
    expect(isDue(new Date(NOW.getTime() + 31 * DAY), NOW)).toBe(false);
    expect(daysLeft(new Date(NOW.getTime() - 2 * DAY), NOW)).toBe(-2);
  });

  it('when names were added or removed (a new SAN in the file, an address the host no longer has)', () => {
    const more = serverNames('m1', ['10.0.0.11'], ['api.example.com']);
    const fewer = serverNames('m1', [], []);
    expect(serverCertificateProblem(cert.certPem, ca.certPem, more, NOW)).toMatch(/lacks api.example.com/);
    expect(serverCertificateProblem(cert.certPem, ca.certPem, fewer, NOW)).toMatch(
      /no longer needs 10.0.0.11/,
    );
  });
});

describe('agreeOnCa: one CA everywhere, or a clear refusal', async () => {
  const a = await createCa('prod', NOW);
  const b = await createCa('prod', NOW);

  it('takes the first place in order of precedence when all places hold the same certificate', () => {
    const reformatted = a.certPem.replace(/\n/g, '\r\n');
    const chosen = agreeOnCa([
      { where: '10.0.0.11:/etc/eectl/pki/ca.pem', certPem: a.certPem },
      { where: 'local', certPem: reformatted, keyPem: a.keyPem },
    ]);
    expect(chosen?.where).toBe('10.0.0.11:/etc/eectl/pki/ca.pem');
    expect(sameCertificate(a.certPem, reformatted)).toBe(true);
    expect(agreeOnCa([])).toBeUndefined();
  });

  it('refuses two different CAs and names where each one is (exit 3: nothing changed)', () => {
    const run = () =>
      agreeOnCa([
        { where: '10.0.0.11:/etc/eectl/pki/ca.pem', certPem: a.certPem },
        { where: '/home/op/.eectl/prod/pki', certPem: b.certPem },
      ]);
    expect(run).toThrow(/different cluster CAs/);
    try {
      run();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ECA_MISMATCH', exitCode: 3 });
      expect((error as Error).message).toContain('10.0.0.11:/etc/eectl/pki/ca.pem');
      expect((error as Error).message).toContain('/home/op/.eectl/prod/pki');
    }
  });

  it('a CA is complete only with the key that belongs to it', () => {
    expect(completeCa({ where: 'x', certPem: a.certPem, keyPem: a.keyPem })).toEqual(a);
    expect(completeCa({ where: 'x', certPem: a.certPem, keyPem: b.keyPem })).toBeUndefined();
    expect(completeCa({ where: 'x', certPem: a.certPem })).toBeUndefined();
  });
});

describe('the API drop-in', () => {
  it('resets ExecStart and runs dockerd with the local socket and the TLS port, on any package', () => {
    const text = apiDropIn(2376);
    const lines = text.split('\n');
    expect(lines).toContain('[Service]');
    expect(lines.filter((l) => l.startsWith('ExecStart='))).toEqual([
      'ExecStart=',
      'ExecStart=dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS -H tcp://0.0.0.0:2376 ' +
        '--tlsverify --tlscacert=/etc/eectl/pki/ca.pem --tlscert=/etc/eectl/pki/server-cert.pem ' +
        '--tlskey=/etc/eectl/pki/server-key.pem',
    ]);
    expect(apiDropIn(12376)).toContain('-H tcp://0.0.0.0:12376 ');
  });

  it('names the daemon.json keys that would make dockerd refuse to start', () => {
    expect(conflictingDaemonKeys({ 'log-driver': 'json-file', hosts: [], tlsverify: true })).toEqual([
      'hosts',
      'tlsverify',
    ]);
    expect(conflictingDaemonKeys({})).toEqual([]);
  });
});
