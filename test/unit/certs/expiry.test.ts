import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assessCluster } from '../../../src/lib/actions/status.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { NodeCertificate, SwarmCa } from '../../../src/lib/swarm/docker.js';
import { createCa, issueClientCert, issueServerCert } from '../../../src/lib/pki/certificates.js';
import { certExpiry, expiryWarnings, sortExpiries } from '../../../src/lib/pki/expiry.js';
import { serverNames } from '../../../src/lib/pki/inspect.js';
import {
  bundleExpiry,
  bundleRecord,
  bundlesToReissue,
  issuedBundlesFile,
  readIssuedBundles,
  recordIssuedBundle,
} from '../../../src/lib/pki/issued-bundles.js';
import { HOST_CA_CERT, HOST_SERVER_CERT, REGISTRY_CERT_FILE } from '../../../src/lib/host-layout.js';
import { nodesBehindSwarmCa } from '../../../src/lib/swarm/ca-rotation.js';
import { makeFacts } from '../../helpers/facts.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';
import { renderCertsStatus } from '../../../src/lib/ui/certs-render.js';

useTempEectlHome();
const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const ca = await createCa('prod', NOW);
const server = await issueServerCert(ca, serverNames('m1', ['10.0.0.11'], []), NOW);
const registry = await issueServerCert(ca, serverNames('r1', ['10.0.0.31'], []), NOW);
const alice = await issueClientCert(ca, 'alice', NOW);

describe('the expiry table', () => {
  it('reads date, days left, serial and subject; marks the last 30 days as due', () => {
    const row = certExpiry('api-server', 'm1', 'm1:/etc/eectl/pki/server-cert.pem', server.certPem, NOW)!;
    expect(row).toMatchObject({
      kind: 'api-server',
      owner: 'm1',
      subject: 'CN=m1',
      daysLeft: 365,
      due: false,
    });
    expect(row.notAfter.slice(0, 10)).toBe('2027-06-01');
    expect(row.serial).toMatch(/^[0-9a-f]{32}$/);
    const late = certExpiry('api-server', 'm1', '', server.certPem, new Date(NOW.getTime() + 340 * DAY))!;
    expect(late).toMatchObject({ daysLeft: 25, due: true });
    const day334 = certExpiry('api-server', 'm1', '', server.certPem, new Date(NOW.getTime() + 334 * DAY))!;
    expect(day334).toMatchObject({ daysLeft: 31, due: false });
    expect(certExpiry('registry', 'registry', '', 'not a certificate', NOW)).toBeUndefined();
  });

  it('lists CAs first, then servers, then clients; soonest first within a kind', () => {
    const later = new Date(NOW.getTime() + 10 * DAY);
    const rows = sortExpiries([
      certExpiry('client-bundle', 'alice', '', alice.certPem, NOW)!,
      certExpiry('api-server', 'm2', '', server.certPem, NOW)!,
      certExpiry('api-server', 'm1', '', server.certPem, later)!,
      certExpiry('swarm-ca', 'prod', '', ca.certPem, NOW)!,
      certExpiry('cluster-ca', 'prod', '', ca.certPem, NOW)!,
    ]);
    expect(rows.map((r) => `${r.kind}:${r.owner}`)).toEqual([
      'cluster-ca:prod',
      'api-server:m1',
      'api-server:m2',
      'client-bundle:alice',
      'swarm-ca:prod',
    ]);
  });

  it('warns once per certificate in its last 30 days or expired, soonest first, with what renews it', () => {
    const at = new Date(NOW.getTime() + 350 * DAY);
    const rows = [
      certExpiry('cluster-ca', 'prod', '', ca.certPem, at)!,
      certExpiry('registry', 'registry', '', registry.certPem, at)!,
      certExpiry('client-bundle', 'alice', '', alice.certPem, new Date(NOW.getTime() + 370 * DAY))!,
    ];
    expect(expiryWarnings(rows)).toEqual([
      'client bundle of alice expired 5 days ago (2027-06-01): issue it again with eectl client-config',
      'registry certificate of registry expires in 15 days (2027-06-01): eectl certs rotate (or eectl install) renews it',
    ]);
    expect(expiryWarnings([certExpiry('registry', 'registry', '', registry.certPem, NOW)!])).toEqual([]);
  });
});

describe('certs status, as a person reads it', () => {
  it('one row per certificate with its date and days left, then what was not read and the warnings', () => {
    const at = new Date(NOW.getTime() + 350 * DAY);
    const rows = [
      certExpiry('cluster-ca', 'prod', 'm1:/etc/eectl/pki/ca.pem', ca.certPem, at)!,
      certExpiry('api-server', '10.0.0.11', 'm1:/etc/eectl/pki/server-cert.pem', server.certPem, at)!,
    ];
    const text = renderCertsStatus({
      cluster: 'prod',
      certificates: rows,
      unread: [{ where: '10.0.0.21', message: 'SSH: connect EHOSTUNREACH' }],
      warnings: expiryWarnings(rows),
      phases: [],
      seconds: 1,
    }).replace(ANSI, '');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^CERTIFICATE\s+OF\s+EXPIRES\s+LEFT\s+SERIAL\s+WHERE$/);
    expect(lines[1]).toMatch(/^cluster CA\s+prod\s+2036-05-29\s+3300d\s/);
    expect(lines[2]).toMatch(/^API server certificate\s+10\.0\.0\.11\s+2027-06-01\s+15d\s/);
    expect(text).toContain('not read: 10.0.0.21: SSH: connect EHOSTUNREACH');
    expect(text).toContain('! API server certificate of 10.0.0.11 expires in 15 days (2027-06-01)');
  });
});

describe('the record of issued client bundles', () => {
  it('keeps no key, one record per directory, 0600; it reads back as an expiry row', async () => {
    expect(await readIssuedBundles('prod')).toEqual([]);
    await recordIssuedBundle('prod', bundleRecord('alice', '/b/alice', alice.certPem, ca.certPem, NOW));
    const again = await issueClientCert(ca, 'alice', new Date(NOW.getTime() + DAY));
    await recordIssuedBundle('prod', bundleRecord('alice', '/b/alice', again.certPem, ca.certPem, NOW));
    await recordIssuedBundle('prod', bundleRecord('bob', '/b/bob', alice.certPem, ca.certPem, NOW));
    const records = await readIssuedBundles('prod');
    expect(records.map((r) => r.dir)).toEqual(['/b/alice', '/b/bob']);
    expect(records[0]!.notAfter.slice(0, 10)).toBe('2027-06-02');
    expect(statSync(issuedBundlesFile('prod')).mode & 0o777).toBe(0o600);
    expect(readFileSync(issuedBundlesFile('prod'), 'utf8')).not.toContain('PRIVATE KEY');
    expect(bundleExpiry(records[1]!, new Date(NOW.getTime() + 351 * DAY))).toMatchObject({
      kind: 'client-bundle',
      owner: 'bob',
      daysLeft: 14,
      due: true,
    });
  });
});

describe('bundles to issue again after the cluster got another CA', () => {
  it('names the recorded bundles another CA signed, and none of the current one', async () => {
    const other = await createCa('prod', NOW);
    const old = bundleRecord('alice', '/b/alice', alice.certPem, ca.certPem, NOW);
    const bob = await issueClientCert(other, 'bob', NOW);
    const current = bundleRecord('bob', '/b/bob', bob.certPem, other.certPem, NOW);
    expect(bundlesToReissue([old, current], other.certPem).map((b) => b.user)).toEqual(['alice']);
    expect(bundlesToReissue([old, current], ca.certPem).map((b) => b.user)).toEqual(['bob']);
  });
});

describe('eectl status: the 30-day warning beyond the API certificates', () => {
  const config = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], engine: { version: '20.10' } },
  });
  const described = (swarmCa: string) => [
    {
      address: '10.0.0.11',
      role: 'manager' as const,
      ok: true as const,
      facts: makeFacts({
        hostname: 'm1',
        files: {
          [HOST_CA_CERT]: ca.certPem,
          [HOST_SERVER_CERT]: server.certPem,
          [REGISTRY_CERT_FILE]: registry.certPem,
        },
        swarm: {
          state: 'active',
          nodeId: 'n1',
          clusterId: 'c1',
          isManager: true,
          remoteManagers: [],
          nodeAddr: '10.0.0.11',
          caCertPem: swarmCa,
        },
      }),
    },
  ];
  it('warns for the registry certificate, the swarm CA and a recorded client bundle, from facts and the record', async () => {
    const swarmCa = await createCa('swarm', new Date(NOW.getTime() - 3630 * DAY));
    const at = new Date(NOW.getTime() + 350 * DAY);
    const bundle = bundleRecord('alice', '/b/alice', alice.certPem, ca.certPem, NOW);
    const r = assessCluster(config, described(swarmCa.certPem), { nodes: undefined, error: 'x' }, at, [
      bundle,
    ]);
    const certWarnings = r.warnings.filter((w) => / of /.test(w));
    expect(certWarnings).toEqual([
      expect.stringMatching(/^swarm CA of prod expired \d+ days ago .*eectl certs rotate --swarm-ca$/),
      expect.stringMatching(/^registry certificate of registry expires in 15 days/),
      expect.stringMatching(/^client bundle of alice expires in 15 days/),
    ]);
    const fresh = assessCluster(config, described(ca.certPem), { nodes: undefined, error: 'x' }, NOW, [
      bundle,
    ]);
    expect(fresh.warnings.filter((w) => / of /.test(w))).toEqual([]);
  });
});

describe('--swarm-ca: which nodes still hold a certificate of the old CA', () => {
  const ca: SwarmCa = { caCertPem: 'NEW', issuerPublicKey: 'K2', rotating: false };
  const node = (hostname: string, root: string, key: string): NodeCertificate => ({
    id: hostname,
    hostname,
    addr: '',
    caCertPem: root,
    issuerPublicKey: key,
  });
  it('a node is done when it reports the new root and issuer key; none is while swarmkit still rotates', () => {
    const nodes = [node('m1', 'NEW\n', 'K2'), node('w1', 'OLD', 'K1'), node('w2', 'NEW', 'K1')];
    expect(nodesBehindSwarmCa(ca, nodes).map((n) => n.hostname)).toEqual(['w1', 'w2']);
    expect(nodesBehindSwarmCa({ ...ca, rotating: true }, [nodes[0]!])).toHaveLength(1);
    expect(nodesBehindSwarmCa(ca, [nodes[0]!])).toEqual([]);
  });
});
