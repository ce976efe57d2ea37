import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  converged: boolean;
  changes: { host: string; description: string; applied: boolean }[];
  registry?: {
    replicas: { host: string; url: string; healthy: boolean; detail: string }[];
    adminPassword?: string;
  };
}

const PORT = 5443;
const CI_PASSWORD_ENV = 'E2E_REGISTRY_CI_PASSWORD';
const CI_PASSWORD = 'ci-e2e-password-1';

describe('eectl install: registry replicas on two registry hosts with shared storage', () => {
  const sandbox = useSandbox({ name: 'e2e-registry', managers: 1, workers: 1, registries: 2 });
  const install = async (file: string, env: Record<string, string> = {}) => {
    const r = await runEectl(['install', '-c', file, '--json'], { env });
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBe(0);
    return r.json?.result as InstallJson;
  };
  const endpoint = (ref: string) => `${sandbox.host(ref).address}:${PORT}`;
  /** A script on a host (through stdin, so passwords stay off command lines) that must succeed. */
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  /** `docker login` on a host, the password through stdin; the exit code says whether it was accepted. */
  const login = (ref: string, registry: string, user: string, password: string) =>
    sandbox.exec(ref, `printf '%s' '${password}' | docker login -u ${user} --password-stdin ${registry}`);
  let adminPassword = '';
  let image = '';

  it('installs a replica on each registry host that answers /v2/ over TLS from the cluster CA', async () => {
    const result = await install(sandbox.clusterFile);
    expect(result.registry?.replicas.map((r) => [r.host, r.healthy, r.detail])).toEqual([
      [sandbox.host('r1').address, true, 'HTTP 401'],
      [sandbox.host('r2').address, true, 'HTTP 401'],
    ]);
    adminPassword = result.registry?.adminPassword ?? '';
    expect(adminPassword.length).toBeGreaterThanOrEqual(20);
    const tasks = await run(
      'm1',
      "docker service ps eectl-registry --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
    );
    expect(
      tasks.stdout
        .split('\n')
        .filter((l) => l.includes('Running'))
        .map((l) => l.split(' ')[0]),
    ).toEqual(expect.arrayContaining(['r1', 'r2']));
    // Every node trusts every replica by address and hostname, with no step of its own.
    const caSum = (await run('m1', 'sha256sum < /etc/eectl/pki/ca.pem')).stdout;
    for (const h of sandbox.hosts) {
      for (const name of [endpoint('r1'), endpoint('r2'), `r1:${PORT}`, `r2:${PORT}`]) {
        const trusted = await sandbox.exec(h, `sha256sum < /etc/docker/certs.d/${name}/ca.crt`);
        expect(trusted.stdout, `${h.hostname} trusts ${name}`).toBe(caSum);
      }
    }
    // The service names the bundled image by ID, so no replica start tries to pull it from Docker Hub.
    const bundled = sandbox.description.registry?.image ?? '';
    const id = await run('r1', `docker image inspect --format '{{.Id}}' ${bundled}`);
    const serviceImage = await run(
      'm1',
      "docker service inspect eectl-registry --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'",
    );
    expect(serviceImage.stdout.trim()).toBe(id.stdout.trim());
    const kept = await run('m1', "stat -c '%a %U' /etc/eectl/registry/admin-password");
    expect(kept.stdout.trim()).toBe('600 root');
  });

  it('changes nothing the second time, and does not show the admin password again', async () => {
    const result = await install(sandbox.clusterFile);
    expect(result.changes).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.registry?.adminPassword).toBeUndefined();
  });

  it('pushes through one replica from a manager, pulls through the other on a worker, and runs a service from it', async () => {
    const local = await loadBusybox(sandbox, ['m1']);
    image = `${endpoint('r1')}/e2e/busybox:1`;
    const viaR2 = `${endpoint('r2')}/e2e/busybox:1`;
    expect((await login('m1', endpoint('r1'), 'admin', 'wrong-password')).code).not.toBe(0);
    expect((await login('m1', endpoint('r1'), 'admin', adminPassword)).code).toBe(0);
    await run('m1', `docker tag ${local} ${image} && docker push ${image}`);
    expect((await login('w1', endpoint('r2'), 'admin', adminPassword)).code).toBe(0);
    await run('w1', `docker pull ${viaR2}`);
    expect((await login('m1', endpoint('r2'), 'admin', adminPassword)).code).toBe(0);
    await run(
      'm1',
      `docker service create --detach=false --quiet --with-registry-auth --name e2e-from-registry ` +
        `--constraint node.hostname==w1 ${viaR2} /bin/busybox sleep 3600`,
    );
    const running = await run('w1', "docker ps --filter name=e2e-from-registry --format '{{.Image}}'");
    expect(running.stdout.trim()).toBe(viaR2);
  });

  it('rolls a configuration change (a new user) out to both replicas, with the image kept', async () => {
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'registry', 'auth'], {
      htpasswd: { users: [{ name: 'ci', passwordEnv: CI_PASSWORD_ENV }] },
    });
    const changedFile = sandbox.clusterFile.replace(/\.yaml$/, '-ci-user.yaml');
    await writeFile(changedFile, doc.toString(), { mode: 0o600 });

    const without = await runEectl(['install', '-c', changedFile, '--json'], {
      env: { [CI_PASSWORD_ENV]: '' },
    });
    expect(without.code).toBe(2);
    expect(without.json?.error?.message).toContain(CI_PASSWORD_ENV);

    const result = await install(changedFile, { [CI_PASSWORD_ENV]: CI_PASSWORD });
    expect(result.changes.map((c) => c.description)).toContainEqual(
      expect.stringMatching(/^roll out eectl-registry one replica at a time \(secrets\)$/),
    );
    expect(result.registry?.replicas.every((r) => r.healthy)).toBe(true);
    const secrets = await run(
      'm1',
      "docker service inspect eectl-registry --format '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}'",
    );
    const htpasswd = secrets.stdout.split(' ').find((s) => s.startsWith('eectl-registry-htpasswd-'));
    // Both replicas run the new secret: the tasks that run are of the updated spec.
    const tasks = await run(
      'm1',
      "docker service ps eectl-registry --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
    );
    expect(
      tasks.stdout
        .trim()
        .split('\n')
        .filter((l) => l.includes('Running')),
    ).toHaveLength(2);
    const obsolete = await run('m1', "docker secret ls --format '{{.Name}}' | grep htpasswd");
    expect(obsolete.stdout.trim()).toBe(htpasswd);
    for (const replica of ['r1', 'r2']) {
      expect((await login('w1', endpoint(replica), 'ci', CI_PASSWORD)).code).toBe(0);
    }
    await run('w1', `docker rmi ${image} >/dev/null 2>&1; docker pull ${image}`);
    expect((await install(changedFile, { [CI_PASSWORD_ENV]: CI_PASSWORD })).converged).toBe(true);
  });

  it('serves pulls through the other replica while one registry host is down', async () => {
    await sandbox.stop('r1');
    const viaR2 = `${endpoint('r2')}/e2e/busybox:1`;
    await run('w1', `docker rmi ${viaR2} >/dev/null 2>&1; true`);
    const pulled = await sandbox.exec('w1', `docker pull ${viaR2}`, { check: false });
    expect(pulled.code, pulled.stderr).toBe(0);
  });
});
