import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { StatusResult } from '../../src/lib/results/status.js';
import { createCa, issueClientCert, issueServerCert } from '../../src/lib/pki/certificates.js';
import { sameCertificate, serverNames, summarizeCertificate } from '../../src/lib/pki/inspect.js';
import { localPkiDir } from '../../src/lib/pki/paths.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl } from '../helpers/cli.js';
import { failureDetail } from './helpers/diagnose.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  converged: boolean;
  changes: { host: string; description: string }[];
}

const DAY = 86_400_000;

describe('control plane: cluster CA, mutual-TLS engine API on every manager, client bundles, status', () => {
  const sandbox = useSandbox({ name: 'e2e-control-plane', managers: 3 });
  let work = '';
  let twoManagers = '';
  const bundle = () => join(work, 'bundle');
  const dockerConfig = () => join(work, 'docker-config');
  const address = (hostname: string) => sandbox.host(hostname).address;
  const managers = ['m1', 'm2', 'm3'];

  const install = async (file: string): Promise<InstallJson> => {
    const r = await runEectl(['install', '-c', file, '--json']);
    if (r.code !== 0) expect(r.code, await failureDetail(sandbox, r)).toBe(0);
    return r.json?.result as InstallJson;
  };
  /** The docker CLI of this machine, with nothing of the user's own docker setup. */
  const docker = (args: string[]) =>
    runLocal('docker', args, {
      check: false,
      timeoutMs: 60_000,
      env: { DOCKER_CONFIG: dockerConfig(), DOCKER_HOST: '', DOCKER_CONTEXT: '', DOCKER_TLS_VERIFY: '' },
    });
  const tls = (dir: string) => [
    '--tlsverify',
    '--tlscacert',
    join(dir, 'ca.pem'),
    '--tlscert',
    join(dir, 'cert.pem'),
    '--tlskey',
    join(dir, 'key.pem'),
  ];
  const status = async () => {
    const r = await runEectl(['status', '-c', sandbox.clusterFile, '--json']);
    return { code: r.code, result: (r.json as { result?: StatusResult } | undefined)?.result };
  };
  /** Polls status until `done` holds (the swarm takes a few seconds to notice a manager is gone). */
  const statusUntil = async (done: (r: StatusResult) => boolean, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await status();
      if ((s.result && done(s.result)) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-cp-'));
    // The same cluster with m3 left out: it is added later, and must get the same CA.
    const file = parse(readFileSync(sandbox.clusterFile, 'utf8')) as {
      spec: { hosts: { address: string }[] };
    };
    file.spec.hosts = file.spec.hosts.filter((h) => h.address !== address('m3'));
    twoManagers = join(work, 'two-managers.yaml');
    writeFileSync(twoManagers, stringify(file));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('install creates the CA, keeps it root-only on the managers and 0600 here, and serves the API with it', async () => {
    const first = await install(twoManagers);
    expect(first.changes.map((c) => c.description)).toContain(
      `create the cluster CA and save it in ${localPkiDir(sandbox.name)}`,
    );
    const local = localPkiDir(sandbox.name);
    expect(statSync(local).mode & 0o777).toBe(0o700);
    expect(statSync(join(local, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    for (const m of ['m1', 'm2']) {
      const r = await sandbox.exec(
        m,
        'stat -c "%n %a %U" /etc/eectl/pki/*.pem; ss -Hltn "sport = :2376" | wc -l; systemctl show docker -p DropInPaths',
      );
      expect(r.stdout).toContain('/etc/eectl/pki/ca-key.pem 600 root');
      expect(r.stdout).toContain('/etc/eectl/pki/server-key.pem 600 root');
      expect(r.stdout).toContain('/etc/eectl/pki/ca.pem 644 root');
      expect(r.stdout).toContain('/etc/systemd/system/docker.service.d/eectl-api.conf');
      expect(r.stdout.split('\n')).toContain('1');
    }
    const serverCert = (await sandbox.exec('m1', 'cat /etc/eectl/pki/server-cert.pem')).stdout;
    const names = summarizeCertificate(serverCert);
    expect(names.dnsNames).toEqual(expect.arrayContaining(['m1', 'localhost']));
    expect(names.ipAddresses).toEqual(expect.arrayContaining([address('m1'), '127.0.0.1']));
  });

  it('a manager added to the file later gets the same CA and serves the API; a third run changes nothing', async () => {
    const added = await install(sandbox.clusterFile);
    expect(added.converged).toBe(false);
    const onM3 = added.changes.filter((c) => c.host === address('m3')).map((c) => c.description);
    expect(onM3).toContain('write the cluster CA to /etc/eectl/pki');
    // The engine on m3 started with the API: no restart was needed, and no other manager was touched.
    expect(onM3).not.toContain('restart docker');
    expect(added.changes.filter((c) => c.host === address('m1') || c.host === address('m2'))).toEqual([]);
    const ca = readFileSync(join(localPkiDir(sandbox.name), 'ca.pem'), 'utf8');
    for (const m of managers) {
      expect(sameCertificate((await sandbox.exec(m, 'cat /etc/eectl/pki/ca.pem')).stdout, ca), m).toBe(true);
    }
    const again = await install(sandbox.clusterFile);
    expect(again.changes).toEqual([]);
    expect(again.converged).toBe(true);
  });

  it('client-config writes a bundle and a docker context; docker node ls works against every manager with it', async () => {
    const r = await runEectl(
      ['client-config', '-c', sandbox.clusterFile, '--user', 'alice', '--out', bundle(), '--json'],
      {
        env: { DOCKER_CONFIG: dockerConfig() },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as { context: { name: string; status: string }; dockerHost: string };
    expect(result.context).toEqual({ name: `eectl-${sandbox.name}-alice`, status: 'created' });
    expect(result.dockerHost).toBe(`tcp://${address('m1')}:2376`);
    expect(statSync(bundle()).mode & 0o777).toBe(0o700);
    expect(statSync(join(bundle(), 'key.pem')).mode & 0o777).toBe(0o600);
    const cert = readFileSync(join(bundle(), 'cert.pem'), 'utf8');
    expect(summarizeCertificate(cert).subject).toBe('CN=alice');
    expect(readFileSync(join(bundle(), 'env.sh'), 'utf8')).toContain(`DOCKER_CERT_PATH='${bundle()}'`);

    for (const m of managers) {
      const ls = await docker([
        ...tls(bundle()),
        '-H',
        `tcp://${address(m)}:2376`,
        'node',
        'ls',
        '--format',
        '{{.Hostname}}',
      ]);
      expect(ls.code, `${m}: ${ls.stderr}`).toBe(0);
      expect(ls.stdout.split('\n').sort()).toEqual(managers);
    }
    const viaContext = await docker([
      '--context',
      result.context.name,
      'node',
      'ls',
      '--format',
      '{{.Hostname}}',
    ]);
    expect(viaContext.code, viaContext.stderr).toBe(0);
    // env.sh, as a user sources it.
    const viaEnv = await runLocal(
      'sh',
      ['-c', `. '${bundle()}/env.sh' && docker node ls --format '{{.Hostname}}'`],
      {
        check: false,
        env: { DOCKER_CONFIG: dockerConfig() },
      },
    );
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout.split('\n')).toHaveLength(3);
  });

  it('refuses a request without a client certificate, or with one from another CA', async () => {
    const anonymous = await docker([
      '--tlsverify',
      '--tlscacert',
      join(bundle(), 'ca.pem'),
      '-H',
      `tcp://${address('m2')}:2376`,
      'node',
      'ls',
    ]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/certificate required|bad certificate|connection reset by peer/i);

    const rogueCa = await createCa(sandbox.name);
    const rogue = await issueClientCert(rogueCa, 'mallory');
    const rogueDir = join(work, 'rogue');
    mkdirSync(rogueDir, { recursive: true });
    writeFileSync(join(rogueDir, 'ca.pem'), readFileSync(join(bundle(), 'ca.pem')));
    writeFileSync(join(rogueDir, 'cert.pem'), rogue.certPem);
    writeFileSync(join(rogueDir, 'key.pem'), rogue.keyPem, { mode: 0o600 });
    const refused = await docker([...tls(rogueDir), '-H', `tcp://${address('m2')}:2376`, 'node', 'ls']);
    expect(refused.code).not.toBe(0);
    // TLS 1.3 clients may see the server's alert or only the reset that follows it.
    expect(refused.stderr).toMatch(/bad certificate|unknown certificate authority|connection reset by peer/i);
    // The control: the same request with the bundle's own certificate goes through.
    expect((await docker([...tls(bundle()), '-H', `tcp://${address('m2')}:2376`, 'node', 'ls'])).code).toBe(
      0,
    );
  });

  it('install renews a server certificate in its last 30 days, restarts that engine alone (three restarts of it just before), and the API serves the new one', async () => {
    const ca = {
      certPem: readFileSync(join(localPkiDir(sandbox.name), 'ca.pem'), 'utf8'),
      keyPem: readFileSync(join(localPkiDir(sandbox.name), 'ca-key.pem'), 'utf8'),
    };
    const hostname = 'm1';
    const old = await issueServerCert(
      ca,
      serverNames(hostname, [address('m1')], []),
      new Date(Date.now() - 355 * DAY),
    );
    await sandbox.copyTo('m1', writeTemp('old-key.pem', old.keyPem), '/etc/eectl/pki/server-key.pem');
    await sandbox.copyTo('m1', writeTemp('old-cert.pem', old.certPem), '/etc/eectl/pki/server-cert.pem');
    // The old certificate served, after three restarts within the engine's start limit, as an operator's
    // restarts leave it: systemd would refuse a fourth start (StartLimitBurst=3), so install's own restart
    // must not be that fourth. A runtime drop-in stretches the unit's interval to 10 minutes, so that the
    // three count whatever the machine's speed, and the counter starts at 0 with the reset.
    await sandbox.exec(
      'm1',
      'chown root:root /etc/eectl/pki/server-*.pem; chmod 600 /etc/eectl/pki/server-key.pem; ' +
        'mkdir -p /run/systemd/system/docker.service.d && ' +
        "printf '[Unit]\\nStartLimitIntervalSec=600\\nStartLimitBurst=3\\n' > /run/systemd/system/docker.service.d/test-start-limit.conf && " +
        'systemctl daemon-reload && systemctl reset-failed docker && ' +
        'systemctl restart docker && systemctl restart docker && systemctl restart docker',
      { check: true },
    );
    expect(daysServed(await servedCertificate(address('m1')))).toBeLessThan(30);
    // install restarts a manager only while the others hold the quorum: let m1 rejoin first.
    expect((await statusUntil((r) => r.health === 'healthy')).code).toBe(0);

    const renewed = await install(sandbox.clusterFile);
    const changes = renewed.changes.map((c) => `${c.host} ${c.description}`);
    expect(changes).toContain(
      `${address('m1')} write a server certificate for the engine API (the server certificate expires in 9 days)`,
    );
    expect(changes).toContain(`${address('m1')} restart docker`);
    expect(renewed.changes.every((c) => c.host === address('m1'))).toBe(true);
    expect(daysServed(await servedCertificate(address('m1')))).toBeGreaterThan(360);
    await sandbox.exec(
      'm1',
      'rm -f /run/systemd/system/docker.service.d/test-start-limit.conf && systemctl daemon-reload',
      { check: true },
    );
    const again = await install(sandbox.clusterFile);
    expect(again.changes.map((c) => `${c.host} ${c.description}`)).toEqual([]);
    expect(again.converged).toBe(true);
  });

  it('install starts a manager whose engine was stopped, and it is back in its swarm: no join, no second swarm', async () => {
    await sandbox.exec('m3', 'systemctl stop docker.socket docker', { check: true });
    const r = await install(sandbox.clusterFile);
    expect(r.changes.map((c) => `${c.host} ${c.description}`)).toEqual([
      `${address('m3')} enable and start docker`,
    ]);
    const healthy = await statusUntil((s) => s.health === 'healthy');
    expect(healthy.result?.quorum.description).toBe('3 managers, tolerates 1 failure, all reachable');
  });

  it('status: healthy; one manager of three stopped: degraded, in quorum (exit 1); two stopped: quorum lost (exit 1)', async () => {
    const healthy = await status();
    expect(healthy.code).toBe(0);
    expect(healthy.result?.health).toBe('healthy');
    expect(healthy.result?.quorum.description).toBe('3 managers, tolerates 1 failure, all reachable');
    expect(
      healthy.result?.nodes
        .filter((n) => n.apiListening)
        .map((n) => n.hostname)
        .sort(),
    ).toEqual(managers);
    expect(healthy.result?.nodes.every((n) => n.certificate && n.certificate.daysLeft > 360)).toBe(true);

    await sandbox.stop('m3');
    const degraded = await statusUntil((r) => r.health === 'degraded' && r.quorum.reachable === 2);
    expect(degraded.code).toBe(1);
    expect(degraded.result?.health).toBe('degraded');
    expect(degraded.result?.quorum).toMatchObject({ managers: 3, reachable: 2, hasQuorum: true });
    expect(degraded.result?.problems.join('\n')).toContain(address('m3'));

    await sandbox.stop('m2');
    const lost = await statusUntil((r) => r.health === 'quorum-lost');
    expect(lost.code).toBe(1);
    expect(lost.result?.quorum.hasQuorum).toBe(false);
    expect(lost.result?.quorum.description).toContain('QUORUM LOST');

    await sandbox.start('m2');
    await sandbox.start('m3');
    const back = await statusUntil((r) => r.health === 'healthy', 180_000);
    expect(back.code, JSON.stringify(back.result?.problems)).toBe(0);
  });

  function writeTemp(name: string, content: string): string {
    const path = join(work, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  /** The certificate the engine API on `host` presents, read with the client bundle. */
  function servedCertificate(host: string): Promise<Date> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port: 2376,
        ca: readFileSync(join(bundle(), 'ca.pem')),
        cert: readFileSync(join(bundle(), 'cert.pem')),
        key: readFileSync(join(bundle(), 'key.pem')),
      });
      socket.once('secureConnect', () => {
        resolve(new Date(socket.getPeerCertificate().valid_to));
        socket.end();
      });
      socket.once('error', reject);
    });
  }

  function daysServed(notAfter: Date): number {
    return (notAfter.getTime() - Date.now()) / DAY;
  }
});
