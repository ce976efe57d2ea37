import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CertsRotateResult, CertsStatusResult } from '../../src/lib/results/certs.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

// One manager and two workers: the manager's engine restarts for its new API certificate while a service
// runs on the workers; one manager is enough to prove the rolling path keeps the workload and the bundle.

interface Sample {
  at: number;
  /** web containers running on the workers. */
  web: number;
  /** Whether the manager's API answered with the bundle's certificate. */
  api: boolean;
}

describe('eectl certs: status, rotate under a running service, --swarm-ca (1 manager, 2 workers)', () => {
  const sandbox = useSandbox({ name: 'certs', managers: 1, workers: 2 });
  const all = ['m1', 'w1', 'w2'];
  const work = mkdtempSync(join(tmpdir(), 'eectl-e2e-certs-'));
  const bundle = join(work, 'bundle');
  const eectl = (...args: string[]) =>
    runEectl([...args, '-c', sandbox.clusterFile, '--json'], {
      env: { DOCKER_CONFIG: join(work, 'docker') },
    });
  const m1 = () => sandbox.host('m1').address;
  const serverSerial = async () =>
    new X509Certificate(
      (await sandbox.exec('m1', 'cat /etc/eectl/pki/server-cert.pem', { check: true })).stdout,
    ).serialNumber;
  const engineStart = async (h: string) =>
    (
      await sandbox.exec(h, 'systemctl show docker -p ActiveEnterTimestampMonotonic --value', { check: true })
    ).stdout.trim();
  /** The docker CLI of this machine with a client bundle, nothing of the user's own docker setup. */
  const dockerWith = (dir: string, args: string[]) =>
    runLocal(
      'docker',
      [
        '--tlsverify',
        '--tlscacert',
        join(dir, 'ca.pem'),
        '--tlscert',
        join(dir, 'cert.pem'),
        '--tlskey',
        join(dir, 'key.pem'),
        '-H',
        `tcp://${m1()}:2376`,
        ...args,
      ],
      {
        check: false,
        timeoutMs: 60_000,
        env: { DOCKER_CONFIG: join(work, 'docker'), DOCKER_HOST: '', DOCKER_CONTEXT: '' },
      },
    );

  const dockerWithBundle = (args: string[]) => dockerWith(bundle, args);

  function apiAnswers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(
        {
          host: m1(),
          port: 2376,
          path: '/version',
          ca: readFileSync(join(bundle, 'ca.pem')),
          cert: readFileSync(join(bundle, 'cert.pem')),
          key: readFileSync(join(bundle, 'key.pem')),
          servername: 'm1',
          timeout: 900,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Every second: the web containers running on the workers (through docker exec, not the swarm) and the API. */
  function sampler(): { stop: () => Promise<Sample[]> } {
    const samples: Sample[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = Date.now();
        const [counts, api] = await Promise.all([
          Promise.all(
            ['w1', 'w2'].map(
              async (h) =>
                Number(
                  (
                    await sandbox.exec(
                      h,
                      'docker ps -q --filter label=com.docker.swarm.service.name=web | wc -l',
                    )
                  ).stdout,
                ) || 0,
            ),
          ),
          apiAnswers(),
        ]);
        samples.push({ at: started, web: counts[0]! + counts[1]!, api });
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return samples;
      },
    };
  }

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('installs, runs a 2-replica service on the workers and issues a client bundle', async () => {
    const r = await eectl('install');
    expect(r.code, r.stderr).toBe(0);
    const image = await loadBusybox(sandbox, all);
    await sandbox.exec(
      'm1',
      'docker service create --detach --name web --replicas 2 --replicas-max-per-node 1 --constraint node.role==worker --no-resolve-image "$1" /bin/busybox sleep 100000',
      { check: true, args: [image] },
    );
    await waitFor(
      'web 2/2',
      async () =>
        (await sandbox.exec('m1', "docker service ls --format '{{.Name}} {{.Replicas}}'")).stdout.includes(
          'web 2/2',
        ),
      120_000,
    );
    const cc = await eectl('client-config', '--user', 'ops', '--out', bundle);
    expect(cc.code, cc.stderr).toBe(0);
    expect((await dockerWithBundle(['node', 'ls', '-q'])).code).toBe(0);
  }, 900_000);

  it('certs status lists the CA, the API certificate, the bundle, the swarm CA and every node certificate, with dates', async () => {
    const r = await eectl('certs', 'status');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as CertsStatusResult;
    const rows = result.certificates
      .filter((c) => c.kind !== 'swarm-node')
      .map((c) => `${c.kind}:${c.owner}`);
    expect(rows).toEqual([
      `cluster-ca:${sandbox.name}`,
      `api-server:${m1()}`,
      'client-bundle:ops',
      `swarm-ca:${sandbox.name}`,
    ]);
    const nodes = result.certificates.filter((c) => c.kind === 'swarm-node').map((c) => c.owner);
    expect(nodes.sort()).toEqual(all.map((h) => sandbox.host(h).address).sort());
    for (const c of result.certificates) {
      expect(c.notAfter, c.kind).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(c.daysLeft, c.kind).toBeGreaterThan(30);
    }
    expect(result.certificates.find((c) => c.kind === 'api-server')!.serial).toBe(
      (await serverSerial()).toLowerCase(),
    );
    expect(result.unread).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('certs rotate --dry-run lists the new certificate and the restart, and changes nothing', async () => {
    const serial = await serverSerial();
    const r = await eectl('certs', 'rotate', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as CertsRotateResult;
    expect(result.plan.engineRestarts).toEqual([m1()]);
    expect(result.changes.map((c) => c.description)).toContain(
      'write a server certificate for the engine API (rotation asked (eectl certs rotate))',
    );
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    expect(await serverSerial()).toBe(serial);
  });

  it('refuses without --yes and no terminal; with --yes rotates: new serial, no replica lost, the bundle still works', async () => {
    const refused = await eectl('certs', 'rotate');
    expect(refused.code).toBe(2);
    expect(refused.json?.error?.code).toBe('ECONFIRM');

    const serial = await serverSerial();
    const starts = Object.fromEntries(
      await Promise.all(all.map(async (h) => [h, await engineStart(h)] as const)),
    );
    const watch = sampler();
    const r = await eectl('certs', 'rotate', '--yes');
    // A few seconds after, so a replica lost at the end would show.
    await new Promise((res) => setTimeout(res, 3000));
    const samples = await watch.stop();
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as CertsRotateResult;

    const after = await serverSerial();
    expect(after).not.toBe(serial);
    expect(result.serials[m1()]).toBe(after);
    // The manager's engine restarted (the rolling path), the workers' did not.
    expect(await engineStart('m1')).not.toBe(starts.m1);
    expect(await engineStart('w1')).toBe(starts.w1);
    expect(await engineStart('w2')).toBe(starts.w2);
    expect(result.changes.map((c) => c.description)).toContain('restart docker');
    // Sampled every second for the whole run: both replicas ran in every sample, and the API answers with
    // the old bundle after it (a restart can fall between two samples, so a gap is not required).
    expect(samples.length).toBeGreaterThanOrEqual(Math.floor(result.seconds));
    expect(samples.filter((s) => s.web !== 2)).toEqual([]);
    expect(samples.at(-1)!.api).toBe(true);

    // The client bundle issued before the rotation still works with the docker CLI.
    const ls = await dockerWithBundle(['node', 'ls', '--format', '{{.Hostname}}']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split('\n').sort()).toEqual(all);
    const status = await eectl('certs', 'status');
    const api = (status.json?.result as CertsStatusResult).certificates.find((c) => c.kind === 'api-server')!;
    expect(api.serial).toBe(after.toLowerCase());
  }, 600_000);

  it('certs rotate --swarm-ca: a new swarm CA, and every node holds a certificate it issued', async () => {
    const rootOf = async () =>
      (
        await sandbox.exec('m1', "docker info --format '{{.Swarm.Cluster.TLSInfo.TrustRoot}}'", {
          check: true,
        })
      ).stdout;
    const before = new X509Certificate(await rootOf());
    const starts = Object.fromEntries(
      await Promise.all(all.map(async (h) => [h, await engineStart(h)] as const)),
    );
    const r = await eectl('certs', 'rotate', '--swarm-ca', '--yes');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as CertsRotateResult;
    expect(result.swarmCa?.nodes).toBe(3);
    const root = new X509Certificate(await rootOf());
    expect(root.fingerprint256).not.toBe(before.fingerprint256);
    for (const h of all) {
      const pem = (
        await sandbox.exec(h, 'cat /var/lib/docker/swarm/certificates/swarm-node.crt', { check: true })
      ).stdout;
      const node = new X509Certificate(pem);
      expect(node.checkIssued(root) && node.verify(root.publicKey), h).toBe(true);
      // Swarmkit rotates online: no engine restarted.
      expect(await engineStart(h), h).toBe(starts[h]);
    }
    const replicas = await sandbox.exec('m1', "docker service ls --format '{{.Replicas}}'");
    expect(replicas.stdout.trim()).toMatch(/^2\/2\b/);
  }, 600_000);

  it('certs rotate --cluster-ca: both CAs trusted, the old bundle works; the finish waits for the old bundle to be issued again, then refuses the old one; no replica lost', async () => {
    const caCerts = async () =>
      (
        (await sandbox.exec('m1', 'cat /etc/eectl/pki/ca.pem', { check: true })).stdout.match(
          /BEGIN CERT/g,
        ) ?? []
      ).length;
    const oldCopy = join(work, 'bundle-old-ca');
    cpSync(bundle, oldCopy, { recursive: true });
    const engine = await engineStart('m1');
    const watch = sampler();

    const start = await eectl('certs', 'rotate', '--cluster-ca', '--yes');
    expect(start.code, start.stderr).toBe(0);
    const started = start.json?.result as CertsRotateResult;
    expect(started.clusterCa).toMatchObject({ stage: 'overlap', reissue: [{ user: 'ops', dir: bundle }] });
    expect(await caCerts()).toBe(2);
    // The engine restarted (rolling path) to read the trust bundle; the bundle of the old CA still works.
    expect(await engineStart('m1')).not.toBe(engine);
    expect((await dockerWithBundle(['node', 'ls', '-q'])).code).toBe(0);
    // A bundle issued now is the new CA's, and works during the overlap.
    const dev = join(work, 'bundle-dev');
    const cc = await eectl('client-config', '--user', 'dev', '--out', dev);
    expect(cc.code, cc.stderr).toBe(0);
    const devCert = new X509Certificate(readFileSync(join(dev, 'cert.pem')));
    const nextCa = new X509Certificate(
      (await sandbox.exec('m1', 'cat /etc/eectl/pki/ca-next.pem', { check: true })).stdout,
    );
    expect(devCert.checkIssued(nextCa) && devCert.verify(nextCa.publicKey)).toBe(true);
    expect((await dockerWith(dev, ['node', 'ls', '-q'])).code).toBe(0);

    // The finish refuses while a recorded bundle (ops) is the old CA's, and changes nothing.
    const refused = await eectl('certs', 'rotate', '--cluster-ca', '--finish', '--yes');
    expect(refused.code).toBe(3);
    expect(refused.json?.error?.code).toBe('ECA_OLD_BUNDLES');
    expect(await caCerts()).toBe(2);
    const again = await eectl('client-config', '--user', 'ops', '--out', bundle);
    expect(again.code, again.stderr).toBe(0);

    const finish = await eectl('certs', 'rotate', '--cluster-ca', '--finish', '--yes');
    await new Promise((res) => setTimeout(res, 3000));
    const samples = await watch.stop();
    expect(finish.code, finish.stderr).toBe(0);
    expect((finish.json?.result as CertsRotateResult).clusterCa).toMatchObject({
      stage: 'finished',
      reissue: [],
    });
    expect(await caCerts()).toBe(1);
    // Sampled every second through both runs: both replicas ran in every sample.
    expect(samples.length).toBeGreaterThanOrEqual(Math.floor(started.seconds));
    expect(samples.filter((s) => s.web !== 2)).toEqual([]);

    // After the finish: the bundles of the new CA work, the old one is refused.
    expect((await dockerWithBundle(['node', 'ls', '-q'])).code).toBe(0);
    expect((await dockerWith(dev, ['node', 'ls', '-q'])).code).toBe(0);
    const old = await dockerWith(oldCopy, ['node', 'ls', '-q']);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/certificate|tls/i);
    const status = await eectl('certs', 'status');
    expect((status.json?.result as CertsStatusResult).warnings).toEqual([]);
  }, 900_000);
});
