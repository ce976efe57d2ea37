import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certsRotate } from '../../../src/lib/actions/certs-rotate.js';
import { retiredCaFile } from '../../../src/lib/phases/certs-cluster-ca.js';
import { install } from '../../../src/lib/actions/install.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { createCa, issueClientCert } from '../../../src/lib/pki/certificates.js';
import { signedBy } from '../../../src/lib/pki/inspect.js';
import { bundleRecord, recordIssuedBundle } from '../../../src/lib/pki/issued-bundles.js';
import { localNextPkiDir, localPkiDir } from '../../../src/lib/pki/paths.js';
import {
  HOST_CA_CERT,
  HOST_CA_NEXT_CERT,
  HOST_CA_NEXT_KEY,
  HOST_RESTART_PENDING,
  HOST_SERVER_CERT,
} from '../../../src/lib/host-layout.js';
import { pemCertificates } from '../../../src/lib/pki/trust-bundle.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { ScriptedCluster, clusterConfig } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// The real CERTS_CLUSTER_CA_PHASES over scripted Debian hosts (3 managers, 1 worker) that install converged first.

useTempEectlHome();
const MANAGERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

async function installed(): Promise<ScriptedCluster> {
  const cluster = new ScriptedCluster();
  const base = { config: await clusterConfig(), session: cluster.session(), log: nullLogger };
  await install({ ...base, dryRun: false, concurrency: 8, progress: 'silent' });
  return cluster;
}

async function rotateCa(
  cluster: ScriptedCluster,
  opts: { dryRun?: boolean; finish?: boolean; force?: boolean } = {},
) {
  return certsRotate({
    config: await clusterConfig(),
    session: cluster.session(),
    log: nullLogger,
    dryRun: opts.dryRun ?? false,
    concurrency: 8,
    progress: 'silent',
    request: {
      swarmCa: false,
      swarmCaTimeoutMs: 1000,
      clusterCa: true,
      finish: opts.finish ?? false,
      force: opts.force ?? false,
    },
    confirm: async () => {},
  });
}

const file = (cluster: ScriptedCluster, m: string, path: string) =>
  cluster.host(m).files.get(path)?.toString('utf8');
const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
const localCa = (dir: string) => readFileSync(join(dir, 'ca.pem'), 'utf8');

describe('certs rotate --cluster-ca', () => {
  it('--dry-run plans the new CA and the trust bundle on every manager, with their rolling restarts, and changes nothing', async () => {
    const cluster = await installed();
    const since = cluster.journal.length;
    const r = await rotateCa(cluster, { dryRun: true });
    expect(r.plan).toMatchObject({ clusterCa: 'start', engineRestarts: MANAGERS });
    for (const m of MANAGERS) {
      const mine = r.changes.filter((c) => c.host === m).map((c) => c.description);
      expect(mine, m).toEqual(
        expect.arrayContaining([
          `write the new cluster CA to ${HOST_CA_NEXT_CERT} (its key 0600)`,
          'mark the engine for a restart',
          `trust the old and the new cluster CA in ${HOST_CA_CERT}`,
        ]),
      );
    }
    expect(r.rolling?.order.map((t) => t.host).sort()).toEqual(MANAGERS);
    expect(r.clusterCa?.stage).toBe('overlap');
    expect(cluster.hostWork(since)).toEqual([]);
    expect(existsSync(localNextPkiDir('prod'))).toBe(false);
  });

  it('start: old + new trusted everywhere, engines restarted rolling, server certificates kept; a rerun keeps the same new CA; finish refuses an old bundle, then with --force trusts the new CA alone', async () => {
    const cluster = await installed();
    const oldCa = file(cluster, MANAGERS[0]!, HOST_CA_CERT)!;
    const serverBefore = MANAGERS.map((m) => file(cluster, m, HOST_SERVER_CERT));
    const since = cluster.journal.length;
    const start = await rotateCa(cluster);
    const next = file(cluster, MANAGERS[0]!, HOST_CA_NEXT_CERT)!;
    expect(fp(next)).not.toBe(fp(oldCa));
    for (const m of MANAGERS) {
      const trust = pemCertificates(file(cluster, m, HOST_CA_CERT)!).map(fp);
      expect(trust, m).toEqual([fp(oldCa), fp(next)]);
      expect(file(cluster, m, HOST_CA_NEXT_KEY), m).toBeDefined();
      expect(file(cluster, m, HOST_RESTART_PENDING), m).toBeUndefined();
    }
    expect(MANAGERS.map((m) => file(cluster, m, HOST_SERVER_CERT))).toEqual(serverBefore);
    const work = cluster.hostWork(since);
    const restarts = work.filter((l) => /systemctl restart docker/.test(l)).map((l) => l.split(':')[0]);
    expect(restarts.sort()).toEqual(MANAGERS);
    // The new CA's key is on the host before its certificate, and the trust file before any restart.
    for (const m of MANAGERS) {
      expect(work.indexOf(`${m}: upload ${HOST_CA_NEXT_KEY}`)).toBeLessThan(
        work.indexOf(`${m}: upload ${HOST_CA_NEXT_CERT}`),
      );
      expect(work.indexOf(`${m}: upload ${HOST_CA_CERT}`)).toBeLessThan(
        work.findIndex((l) => /systemctl restart docker/.test(l)),
      );
    }
    expect(start.clusterCa).toMatchObject({ stage: 'overlap', new: { fingerprint: expect.any(String) } });
    expect(fp(localCa(localNextPkiDir('prod')))).toBe(fp(next));

    // Run again: the same new CA, nothing to trust again.
    const again = await rotateCa(cluster);
    expect(file(cluster, MANAGERS[1]!, HOST_CA_NEXT_CERT)).toBe(next);
    expect(again.changes.map((c) => c.description)).not.toContain(
      `trust the old and the new cluster CA in ${HOST_CA_CERT}`,
    );

    // A bundle of the old CA recorded here: the finish refuses, and changes nothing.
    const oldBundle = await issueClientCert(
      { certPem: oldCa, keyPem: readFileSync(join(localPkiDir('prod'), 'ca-key.pem'), 'utf8') },
      'alice',
    );
    await recordIssuedBundle('prod', bundleRecord('alice', '/tmp/alice', oldBundle.certPem, oldCa));
    const before = cluster.journal.length;
    const refused = await rotateCa(cluster, { finish: true }).then(
      () => expect.unreachable('the finish was expected to refuse'),
      (e: unknown) => toEectlError(e),
    );
    expect(refused).toMatchObject({ code: 'ECA_OLD_BUNDLES', exitCode: ExitCode.preflight });
    expect(refused.suggestions).toContain('eectl client-config --user alice --out /tmp/alice');
    expect(cluster.hostWork(before)).toEqual([]);

    const done = await rotateCa(cluster, { finish: true, force: true });
    for (const m of MANAGERS) {
      expect(pemCertificates(file(cluster, m, HOST_CA_CERT)!).map(fp), m).toEqual([fp(next)]);
      expect(signedBy(file(cluster, m, HOST_SERVER_CERT)!, next), m).toBe(true);
      expect(file(cluster, m, HOST_CA_NEXT_CERT), m).toBeUndefined();
      expect(file(cluster, m, HOST_CA_NEXT_KEY), m).toBeUndefined();
    }
    expect(done.clusterCa).toMatchObject({
      stage: 'finished',
      reissue: [{ user: 'alice', dir: '/tmp/alice' }],
    });
    expect(fp(localCa(localPkiDir('prod')))).toBe(fp(next));
    expect(existsSync(localNextPkiDir('prod'))).toBe(false);
    // The old CA's certificate stays here (no key), for backups it signed.
    expect(fp(readFileSync(retiredCaFile('prod', oldCa), 'utf8'))).toBe(fp(oldCa));
    expect(done.clusterCa?.next.join('\n')).toContain(`--trust ${retiredCaFile('prod', oldCa)}`);
  });

  it('a finish stopped halfway (one manager already on the new CA alone, its ca-next gone): the start refuses, the finish completes it', async () => {
    const cluster = await installed();
    await rotateCa(cluster);
    const next = file(cluster, MANAGERS[0]!, HOST_CA_NEXT_CERT)!;
    const m1 = cluster.host(MANAGERS[0]!).files;
    m1.set(HOST_CA_CERT, Buffer.from(next));
    m1.delete(HOST_CA_NEXT_CERT);
    m1.delete(HOST_CA_NEXT_KEY);
    const e = await rotateCa(cluster).then(
      () => expect.unreachable('expected a refusal'),
      (err: unknown) => toEectlError(err),
    );
    expect(e).toMatchObject({ code: 'ECA_ROTATION_STATE' });
    expect(e.suggestions).toContain('Complete it: eectl certs rotate --cluster-ca --finish');
    await rotateCa(cluster, { finish: true });
    for (const m of MANAGERS) {
      expect(pemCertificates(file(cluster, m, HOST_CA_CERT)!).map(fp), m).toEqual([fp(next)]);
      expect(file(cluster, m, HOST_CA_NEXT_CERT), m).toBeUndefined();
    }
  });

  it('--finish with no rotation under way is refused, and changes nothing', async () => {
    const cluster = await installed();
    const since = cluster.journal.length;
    const e = await rotateCa(cluster, { finish: true }).then(
      () => expect.unreachable('expected a refusal'),
      (err: unknown) => toEectlError(err),
    );
    expect(e).toMatchObject({ code: 'ENO_CA_ROTATION', exitCode: ExitCode.preflight });
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('reads a rotation the managers disagree on as an error, before any change', async () => {
    const cluster = await installed();
    cluster.host(MANAGERS[0]!).files.set(HOST_CA_NEXT_CERT, Buffer.from((await createCa('prod')).certPem));
    cluster.host(MANAGERS[1]!).files.set(HOST_CA_NEXT_CERT, Buffer.from((await createCa('prod')).certPem));
    const since = cluster.journal.length;
    const e = await rotateCa(cluster).then(
      () => expect.unreachable('expected a refusal'),
      (err: unknown) => toEectlError(err),
    );
    expect(e).toMatchObject({ code: 'ECA_ROTATION_STATE', exitCode: ExitCode.preflight });
    expect(e.message).toMatch(/2 different new cluster CAs/);
    expect(cluster.hostWork(since)).toEqual([]);
  });
});
