import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certsRotate } from '../../../src/lib/actions/certs-rotate.js';
import { install } from '../../../src/lib/actions/install.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { HOST_SERVER_CERT } from '../../../src/lib/host-layout.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import type { CertsRotatePlan } from '../../../src/lib/results/certs.js';
import { ScriptedCluster, clusterConfig } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// The real CERTS_ROTATE_PHASES over scripted Debian hosts (3 managers, 1 worker) that install converged first.

useTempEectlHome();
const MANAGERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];
const ROTATED = 'write a server certificate for the engine API (rotation asked (eectl certs rotate))';

async function installed(): Promise<ScriptedCluster> {
  const cluster = new ScriptedCluster();
  const base = { config: await clusterConfig(), session: cluster.session(), log: nullLogger };
  await install({ ...base, dryRun: false, concurrency: 8, progress: 'silent' });
  return cluster;
}

async function rotate(
  cluster: ScriptedCluster,
  dryRun: boolean,
  confirm = async (_: CertsRotatePlan) => {},
  swarmCa = false,
) {
  return certsRotate({
    config: await clusterConfig(),
    session: cluster.session(),
    log: nullLogger,
    dryRun,
    concurrency: 8,
    progress: 'silent',
    request: { swarmCa, swarmCaTimeoutMs: 1000 },
    confirm,
  });
}

const serial = (cluster: ScriptedCluster, address: string) =>
  new X509Certificate(cluster.host(address).files.get(HOST_SERVER_CERT)!).serialNumber;

describe('certs rotate', () => {
  it('--dry-run lists a new certificate and a rolling restart for every manager, asks nothing and changes nothing', async () => {
    const cluster = await installed();
    const since = cluster.journal.length;
    let asked = 0;
    const r = await rotate(cluster, true, async () => {
      asked++;
    });
    expect(asked).toBe(0);
    expect(r.plan.engineRestarts).toEqual(MANAGERS);
    for (const m of MANAGERS) {
      const mine = r.changes.filter((c) => c.host === m).map((c) => c.description);
      expect(mine, m).toContain(ROTATED);
      expect(mine, m).toContain('mark the engine for a restart');
    }
    expect(r.rolling?.order.map((t) => t.host).sort()).toEqual(MANAGERS);
    expect(r.changes.every((c) => !c.applied)).toBe(true);
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('issues new server certificates and restarts the managers through the rolling path, leader last; the worker is left alone', async () => {
    const cluster = await installed();
    const before = Object.fromEntries(MANAGERS.map((m) => [m, serial(cluster, m)]));
    const since = cluster.journal.length;
    let shown: CertsRotatePlan | undefined;
    const r = await rotate(cluster, false, async (plan) => {
      shown = plan;
    });
    expect(shown?.certificates.map((c) => c.owner)).toEqual(MANAGERS);
    for (const m of MANAGERS) {
      expect(serial(cluster, m), m).not.toBe(before[m]);
      expect(Object.values(r.serials)).toContain(serial(cluster, m));
    }
    const work = cluster.hostWork(since);
    // The rolling path: one manager at a time, the leader (m1) last and demoted for its turn.
    const restarts = work.filter((l) => /systemctl restart docker/.test(l)).map((l) => l.split(':')[0]);
    expect(restarts).toEqual(['10.0.0.12', '10.0.0.13', '10.0.0.11']);
    const demote = work.findIndex((l) => /node update .*--role worker/.test(l));
    expect(demote).toBeGreaterThan(work.indexOf('10.0.0.13: systemctl restart docker'));
    expect(demote).toBeLessThan(work.indexOf('10.0.0.11: systemctl restart docker'));
    // Each manager has its new files, and the restart marker, before any engine restarts.
    for (const m of MANAGERS) {
      expect(work.indexOf(`${m}: upload /etc/eectl/pki/engine-restart-pending`)).toBeLessThan(
        work.indexOf(`${m}: upload /etc/eectl/pki/server-cert.pem`),
      );
      expect(work.indexOf(`${m}: upload /etc/eectl/pki/server-cert.pem`)).toBeLessThan(
        work.indexOf('10.0.0.12: systemctl restart docker'),
      );
    }
    expect(work.some((l) => l.startsWith('10.0.0.21:'))).toBe(false);
  });

  it('--swarm-ca --dry-run: the swarm CA alone, on a manager; no server certificate, no engine restart', async () => {
    const cluster = await installed();
    const since = cluster.journal.length;
    const r = await rotate(cluster, true, undefined, true);
    expect(r.plan).toMatchObject({ swarmCa: true, engineRestarts: [] });
    expect(r.changes.map((c) => `${c.host}: ${c.description}`)).toEqual([
      "10.0.0.11: rotate the swarm's root CA (docker swarm ca --rotate) and wait until every node has a new certificate",
    ]);
    expect(r.rolling).toBeUndefined();
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('a declined plan changes nothing', async () => {
    const cluster = await installed();
    const since = cluster.journal.length;
    const declined = await rotate(cluster, false, async () => {
      throw new Error('declined');
    }).then(
      () => expect.unreachable('the run was expected to stop'),
      (e: unknown) => toEectlError(e),
    );
    expect(declined).toMatchObject({ message: 'declined' });
    expect(declined.exitCode).not.toBe(ExitCode.partial);
    expect(cluster.hostWork(since)).toEqual([]);
  });
});
