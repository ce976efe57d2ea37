import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  converged: boolean;
  changes: { host: string; description: string }[];
  registry?: {
    adminPassword?: string;
    mirrors?: { host: string; url: string; healthy: boolean; detail: string }[];
  };
}

const MIRROR_PORT = 5450;
const UPSTREAM_PORT = 5000;
const PASSWORD_ENV = 'E2E_MIRROR_UPSTREAM_PASSWORD';
const UPSTREAM_PASSWORD = 'e2e-upstream-Secret-7f3a9c';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The "internet" is a second, plain Distribution on m1 (the sandbox's registry image, no Docker Hub); the
 * mirror `hub` runs on r1 in proxy mode and caches it. One manager and one registry host prove it.
 */
describe('registry mirror: a pull-through cache of another registry, served on with the upstream stopped', () => {
  const sandbox = useSandbox({ name: 'registry-mirror', managers: 1, registries: 1 });
  const run = (ref: string, script: string, args: string[] = []) =>
    sandbox.exec(ref, script, { check: true, timeoutMs: 300_000, args });
  const mirror = () => `${sandbox.host('r1').address}:${MIRROR_PORT}`;
  let work = '';
  let adminPassword = '';
  let registryPath = '';

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs, then adds a mirror of a second registry: its own service and port, healthy over TLS', async () => {
    const first = await runEectl(['install', '-c', sandbox.clusterFile, '--json'], { timeoutMs: 1_200_000 });
    expect(first.code, `${first.stderr}\n${first.stdout.slice(0, 2000)}`).toBe(0);
    adminPassword = (first.json?.result as InstallJson).registry?.adminPassword ?? '';
    expect(adminPassword).not.toBe('');

    // The upstream: the registry image (loaded on every host by install) as a plain container on m1,
    // with the workload image pushed to it as library/app:1 (loopback needs no TLS for an engine).
    const image = sandbox.description.registry?.image ?? '';
    const workload = sandbox.description.workload?.image ?? '';
    await run(
      'm1',
      'docker run -d --name e2e-upstream -p "$1:5000" "$2" >/dev/null && ' +
        'for i in $(seq 30); do curl -sf "http://127.0.0.1:$1/v2/" >/dev/null && break; sleep 1; done && ' +
        'docker tag "$3" "127.0.0.1:$1/library/app:1" && docker push -q "127.0.0.1:$1/library/app:1" >/dev/null',
      [String(UPSTREAM_PORT), image, workload],
    );

    work = await mkdtemp(join(tmpdir(), 'eectl-e2e-mirror-'));
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    registryPath = String(doc.getIn(['spec', 'registry', 'storage', 'filesystem', 'path']));
    doc.setIn(
      ['spec', 'registry', 'mirrors'],
      [
        {
          name: 'hub',
          upstream: `http://${sandbox.host('m1').address}:${UPSTREAM_PORT}`,
          insecure: true,
          port: MIRROR_PORT,
          username: 'e2e',
          passwordEnv: PASSWORD_ENV,
        },
      ],
    );
    const file = join(work, 'cluster.yaml');
    await writeFile(file, doc.toString());
    const second = await runEectl(['install', '-c', file, '--json'], {
      env: { [PASSWORD_ENV]: UPSTREAM_PASSWORD },
      timeoutMs: 900_000,
    });
    expect(second.code, `${second.stderr}\n${second.stdout.slice(0, 2000)}`).toBe(0);
    const result = second.json?.result as InstallJson;
    expect(result.registry?.mirrors?.map((m) => [m.url, m.healthy, m.detail])).toEqual([
      [`https://${mirror()}/v2/`, true, 'HTTP 401'],
    ]);
    expect(result.changes.map((c) => c.description)).toEqual(
      expect.arrayContaining([
        'create service eectl-registry-mirror-hub (one replica per registry host)',
        expect.stringMatching(/^create mirror hub's cache \/var\/lib\/eectl\/registry-mirrors\/hub$/),
      ]),
    );
    const status = await runEectl(['status', '-c', file, '--json']);
    expect(
      (status.json?.result as { registry: { mirrors?: unknown } } | undefined)?.registry.mirrors,
      status.stderr,
    ).toEqual([
      { name: 'hub', replicas: [{ host: sandbox.host('r1').address, healthy: true, detail: 'HTTP 401' }] },
    ]);
    // Every node trusts the mirror's endpoint like the registry's.
    const ca = (await run('m1', 'sha256sum < /etc/eectl/pki/ca.pem')).stdout;
    expect((await run('m1', `sha256sum < /etc/docker/certs.d/${mirror()}/ca.crt`)).stdout).toBe(ca);

    // The upstream password reached the replica through its swarm secret only: the task's rendered
    // config has it; the config object, the service, the hosts' processes and the run logs do not.
    const rendered = await run(
      'r1',
      // The image has no shell tools: read the task's file through its process's root.
      'c=$(docker ps -q -f label=com.docker.swarm.service.name=eectl-registry-mirror-hub) && ' +
        'cat "/proc/$(docker inspect -f "{{.State.Pid}}" "$c")/root/etc/docker/registry/config.yml"',
    );
    expect(rendered.stdout).toContain(`password: "${UPSTREAM_PASSWORD}"`);
    const swarmSide = await run(
      'm1',
      'docker service inspect eectl-registry-mirror-hub && for c in $(docker config ls -q); do docker config inspect "$c"; done',
    );
    expect(swarmSide.stdout).toContain('eectl-registry-mirror-hub-password');
    const processes = await run('r1', 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n"; true');
    const logs = filesUnder(join(process.env.EECTL_HOME ?? '', sandbox.name, 'logs'));
    expect(logs.length).toBeGreaterThanOrEqual(2);
    const logText = logs.map((f) => readFileSync(f, 'utf8')).join('');
    expect(logText).toContain('eectl-registry-mirror-hub');
    const b64 = Buffer.from(UPSTREAM_PASSWORD).toString('base64');
    for (const [where, text] of [
      ['swarm objects', swarmSide.stdout],
      ['r1 processes', processes.stdout],
      ['run logs', logText],
    ] as const) {
      expect(text.includes(UPSTREAM_PASSWORD) || text.includes(b64), where).toBe(false);
    }
  });

  it('serves a pull through the cache, stores it in its own cache, not in the registry', async () => {
    await run('m1', 'printf "%s" "$1" | docker login -u admin --password-stdin "$2" >/dev/null', [
      adminPassword,
      mirror(),
    ]);
    await run('m1', 'docker pull -q "$1/library/app:1"', [mirror()]);
    const cached = await run(
      'r1',
      'ls /var/lib/eectl/registry-mirrors/hub/docker/registry/v2/repositories/library; ' +
        'ls "$1/docker/registry/v2/repositories" 2>/dev/null; true',
      [registryPath],
    );
    expect(cached.stdout.split('\n').filter((l) => l !== '')).toEqual(['app']);
    // Without a login the mirror refuses, like the registry.
    const anonymous = await sandbox.exec(
      'r1',
      'curl -s -o /dev/null -w "%{http_code}" --cacert "$2" "https://$1/v2/library/app/manifests/1"',
      {
        args: [mirror(), `/etc/docker/certs.d/${mirror()}/ca.crt`],
      },
    );
    expect(anonymous.stdout).toBe('401');
  });

  it('serves the cached image again with the upstream stopped; an image never cached fails clearly', async () => {
    await run('m1', 'docker rm -f e2e-upstream >/dev/null && docker rmi "$1/library/app:1" >/dev/null', [
      mirror(),
    ]);
    const again = await sandbox.exec('m1', 'docker pull "$1/library/app:1"', {
      args: [mirror()],
      timeoutMs: 300_000,
    });
    expect(again.code, again.stderr).toBe(0);
    const never = await sandbox.exec('m1', 'docker pull "$1/library/never:1"', {
      args: [mirror()],
      timeoutMs: 300_000,
    });
    expect(never.code).not.toBe(0);
    expect(never.stderr).toMatch(/manifest unknown|not found/i);
  });
});
