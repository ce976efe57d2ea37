import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { AccessCheckResult, AuditEntry } from '../../src/lib/actions/access.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  converged: boolean;
  changes: { host: string; description: string }[];
}

/** One engine API request of the test, sent raw with a user's bundle and asked of `eectl access check`. */
interface ApiCall {
  user: string;
  method: string;
  path: string;
  body?: unknown;
  /** What the test expects the managers to answer. */
  allow: boolean;
  on?: string;
}

const ACCESS = {
  users: [
    { name: 'root', admin: true },
    { name: 'viewer' },
    { name: 'dev' },
    { name: 'full' },
    { name: 'gone' },
  ],
  teams: [{ name: 'team-a', members: ['dev'] }],
  grants: [
    { user: 'viewer', role: 'viewOnly', collection: '/Shared' },
    { team: 'team-a', role: 'restrictedControl', collection: '/Shared/team' },
    { user: 'full', role: 'fullControl', collection: '/Shared/full' },
    { user: 'gone', role: 'viewOnly', collection: '/Shared' },
  ],
};

describe('access control: users, teams, grants and collections enforced by the managers’ plugin', () => {
  const sandbox = useSandbox({ name: 'access', managers: 2, workers: 1 });
  let work = '';
  let file = '';
  let image = '';
  /** Every raw request of the test, with the engine's answer, for the agreement with `access check`. */
  const asked: (ApiCall & { engineAllowed: boolean })[] = [];
  const address = (hostname: string) => sandbox.host(hostname).address;
  const bundle = (user: string) => join(work, `bundle-${user}`);

  const writeFile = (access: unknown) => {
    const doc = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: Record<string, unknown> };
    doc.spec.access = access;
    writeFileSync(file, stringify(doc));
  };
  const install = async (): Promise<InstallJson> => {
    const r = await runEectl(['install', '-c', file, '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return r.json?.result as InstallJson;
  };
  /** The docker CLI of this machine with a user's bundle, against a manager's API. */
  const docker = (user: string, args: string[], on = 'm1') =>
    runLocal('docker', args, {
      check: false,
      timeoutMs: 120_000,
      env: {
        DOCKER_CONFIG: join(work, 'docker-config'),
        DOCKER_CONTEXT: '',
        DOCKER_HOST: `tcp://${address(on)}:2376`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: bundle(user),
      },
    });
  const denied = (r: { code: number; stderr: string }) =>
    r.code !== 0 && r.stderr.includes('authorization denied by plugin eectl-authz');
  /** A raw engine API request with a user's bundle (or none): the status and the body. */
  const raw = (call: { user?: string; method: string; path: string; body?: unknown; on?: string }) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const text = call.body === undefined ? undefined : JSON.stringify(call.body);
      const dir = call.user === undefined ? undefined : bundle(call.user);
      const req = request(
        {
          host: address(call.on ?? 'm1'),
          port: 2376,
          method: call.method,
          path: call.path,
          ca: readFileSync(join(bundle('root'), 'ca.pem')),
          ...(dir && { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }),
          headers:
            text === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
          timeout: 90_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  /** Sends a request to the engine, checks the managers' answer, and keeps it for `access check`. */
  const expectAnswer = async (call: ApiCall) => {
    const r = await raw(call);
    const refusedByPlugin = r.status === 403 && r.text.includes('authorization denied by plugin eectl-authz');
    asked.push({ ...call, engineAllowed: !refusedByPlugin });
    expect(!refusedByPlugin, `${call.user} ${call.method} ${call.path}: ${r.status} ${r.text}`).toBe(
      call.allow,
    );
    return r;
  };
  const pid = async (host: string, unit: string) =>
    (await sandbox.exec(host, `systemctl show -p MainPID --value ${unit}`)).stdout.trim();
  const serviceSpec = (
    name: string,
    collection: string | undefined,
    containerSpec: Record<string, unknown> = {},
    task: Record<string, unknown> = {},
  ) => ({
    Name: name,
    Labels: collection === undefined ? {} : { 'eectl.collection': collection },
    TaskTemplate: { ContainerSpec: { Image: image, Command: ['sleep', '3600'], ...containerSpec }, ...task },
    Mode: { Replicated: { Replicas: 1 } },
  });

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-access-'));
    file = join(work, 'cluster.yaml');
    writeFile(ACCESS);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('installs the plugin on every manager before the engine first starts, and bundles only for users of the file', async () => {
    const started = Date.now();
    await install();
    console.log(`fresh install with access control: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const user of ['root', 'viewer', 'dev', 'full', 'gone']) {
      const r = await runEectl([
        'client-config',
        '-c',
        file,
        '--user',
        user,
        '--out',
        bundle(user),
        '--context',
        `e2e-access-${user}`,
        '--json',
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const stranger = await runEectl([
      'client-config',
      '-c',
      file,
      '--user',
      'mallory',
      '--out',
      join(work, 'b-mallory'),
      '--json',
    ]);
    expect(stranger.code).toBe(2);
    expect(stranger.json?.error?.code).toBe('EACCESS_USER');
    // A second run changes nothing.
    expect((await install()).converged).toBe(true);
    // The local socket is root's break-glass path; it also loads the test image (no registry involved).
    image = await loadBusybox(sandbox, ['m1', 'm2', 'w1']);
    image = (await sandbox.exec('w1', `docker image inspect --format '{{.Id}}' ${image}`)).stdout.trim();
    for (const m of ['m1', 'm2']) {
      const daemon = JSON.parse((await sandbox.exec(m, 'cat /etc/docker/daemon.json')).stdout) as Record<
        string,
        unknown
      >;
      expect(daemon['authorization-plugins']).toEqual(['eectl-authz']);
      expect(
        (
          await sandbox.exec(m, 'systemctl is-active eectl-authz; systemctl is-enabled eectl-authz')
        ).stdout.trim(),
      ).toBe('active\nenabled');
      // The engine started once, after the plugin, and never needed a restart for it.
      const t = await sandbox.exec(
        m,
        'systemctl show -p ActiveEnterTimestampMonotonic --value eectl-authz docker',
      );
      // systemctl show separates units with a blank line.
      const [plugin, engine] = t.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(Number);
      expect(plugin!).toBeLessThan(engine!);
      expect((await sandbox.exec(m, 'systemctl show -p NRestarts --value docker')).stdout.trim()).toBe('0');
    }
    expect(
      (await sandbox.exec('w1', 'test -e /opt/eectl/authz/node && echo yes || echo no')).stdout.trim(),
    ).toBe('no');
  });

  it('a TCP client without a certificate never reaches the break-glass case', async () => {
    await expect(raw({ method: 'GET', path: '/v1.41/swarm' })).rejects.toThrow();
    expect(await pid('m1', 'eectl-authz')).not.toBe('0');
  });

  it('viewOnly lists services, but docker service create is refused with the plugin’s message', async () => {
    const ls = await docker('viewer', ['service', 'ls']);
    expect(ls.code, ls.stderr).toBe(0);
    const create = await docker('viewer', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'v1',
      '--label',
      'eectl.collection=/Shared/team',
      image,
    ]);
    expect(denied(create), create.stderr).toBe(true);
    expect(create.stderr).toMatch(/viewer has no create permission on \/Shared\/team/);
    await expectAnswer({ user: 'viewer', method: 'GET', path: '/v1.41/services', allow: true });
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('v2', '/Shared/team'),
      allow: false,
    });
  });

  it('restrictedControl creates in its collection, but no host bind mount, no added capability, no host network', async () => {
    const ok = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web',
      '--label',
      'eectl.collection=/Shared/team',
      image,
      'sleep',
      '3600',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const bind = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web-b',
      '--label',
      'eectl.collection=/Shared/team',
      '--mount',
      'type=bind,src=/,dst=/host',
      image,
    ]);
    expect(denied(bind), bind.stderr).toBe(true);
    expect(bind.stderr).toMatch(/bind mount of the host path \//);
    const caps = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web-c',
      '--label',
      'eectl.collection=/Shared/team',
      '--cap-add',
      'NET_ADMIN',
      image,
    ]);
    expect(denied(caps), caps.stderr).toBe(true);
    const hostNet = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web-h',
      '--label',
      'eectl.collection=/Shared/team',
      '--network',
      'host',
      image,
    ]);
    expect(denied(hostNet), hostNet.stderr).toBe(true);
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-ok', '/Shared/team'),
      allow: true,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-b', '/Shared/team', {
        Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }],
      }),
      allow: false,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-c', '/Shared/team', { CapabilityAdd: ['CAP_NET_ADMIN'] }),
      allow: false,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-h', '/Shared/team', {}, { Networks: [{ Target: 'host' }] }),
      allow: false,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-n', undefined),
      allow: false,
    });
    // The same bind mount in the collection where the user has fullControl is fine.
    await expectAnswer({
      user: 'full',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('fullsvc', '/Shared/full', {
        Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/host' }],
      }),
      allow: true,
    });
  });

  it("restrictedControl cannot change another collection's service", async () => {
    const update = await docker('dev', ['service', 'update', '--detach', '--label-add', 'x=y', 'fullsvc']);
    expect(denied(update), update.stderr).toBe(true);
    await expectAnswer({ user: 'dev', method: 'DELETE', path: '/v1.41/services/fullsvc', allow: false });
    await expectAnswer({ user: 'dev', method: 'DELETE', path: '/v1.41/services/raw-ok', allow: true });
  });

  it('nobody but the admin drains a node or touches /System', async () => {
    for (const user of ['viewer', 'dev', 'full']) {
      const r = await docker(user, ['node', 'update', '--availability', 'drain', 'w1']);
      expect(denied(r), `${user}: ${r.stderr}`).toBe(true);
    }
    const nodeId = (
      await sandbox.exec('m1', 'docker node inspect --format "{{.ID}} {{.Version.Index}}" w1')
    ).stdout
      .trim()
      .split(' ');
    for (const user of ['viewer', 'dev', 'full']) {
      await expectAnswer({
        user,
        method: 'POST',
        path: `/v1.41/nodes/${nodeId[0]}/update?version=${nodeId[1]}`,
        body: { Role: 'worker', Availability: 'drain' },
        allow: false,
      });
    }
    const drain = await docker('root', ['node', 'update', '--availability', 'drain', 'w1']);
    expect(drain.code, drain.stderr).toBe(0);
    expect((await docker('root', ['node', 'update', '--availability', 'active', 'w1'])).code).toBe(0);
    // A service without a collection label (made as root on the local socket, as eectl's own are) is /System.
    await sandbox.exec(
      'm1',
      `docker service create --detach --no-resolve-image --name sys ${image} sleep 3600`,
    );
    for (const user of ['viewer', 'dev', 'full']) {
      await expectAnswer({ user, method: 'DELETE', path: '/v1.41/services/sys', allow: false });
    }
    await expectAnswer({ user: 'full', method: 'GET', path: '/v1.41/swarm', allow: false });
    await expectAnswer({
      user: 'full',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('sys2', '/System'),
      allow: false,
    });
    await expectAnswer({ user: 'root', method: 'DELETE', path: '/v1.41/services/sys', allow: true });
  });

  it('the plugin killed: the API still refuses what it refused, root keeps the local socket, systemd brings the plugin back without an engine restart', async () => {
    const before = { plugin: await pid('m1', 'eectl-authz'), engine: await pid('m1', 'docker') };
    await sandbox.exec('m1', `kill -9 ${before.plugin}`);
    const create = await docker('viewer', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'during-kill',
      '--label',
      'eectl.collection=/Shared/team',
      image,
    ]);
    expect(denied(create), create.stderr).toBe(true);
    const local = await sandbox.exec('m1', 'docker info --format "{{.Swarm.LocalNodeState}}"');
    expect(local.stdout.trim()).toBe('active');
    const after = { plugin: await pid('m1', 'eectl-authz'), engine: await pid('m1', 'docker') };
    expect(after.plugin).not.toBe(before.plugin);
    expect(after.engine).toBe(before.engine);
    expect((await docker('root', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim()).toBe(
      'active',
    );
  });

  it('the plugin stopped: the engine refuses the API (fail closed) until it is started again', async () => {
    await sandbox.exec('m2', 'systemctl stop eectl-authz');
    const refused = await docker('root', ['version', '--format', '{{.Server.Version}}'], 'm2');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/plugin eectl-authz failed/);
    await sandbox.exec('m2', 'systemctl start eectl-authz');
    const back = await docker('root', ['version', '--format', '{{.Server.Version}}'], 'm2');
    expect(back.code, back.stderr).toBe(0);
  });

  it('a grant added and a user removed take effect with install, no engine restarted', async () => {
    const engines = { m1: await pid('m1', 'docker'), m2: await pid('m2', 'docker') };
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('granted', '/Shared/team'),
      allow: false,
    });
    expect((await docker('gone', ['service', 'ls'])).code).toBe(0);
    writeFile({
      ...ACCESS,
      users: ACCESS.users.filter((u) => u.name !== 'gone'),
      grants: [
        ...ACCESS.grants.filter((g) => g.user !== 'gone'),
        { user: 'viewer', role: 'restrictedControl', collection: '/Shared/team' },
      ],
    });
    const result = await install();
    expect(
      result.changes.map((c) => c.description).every((d) => d.startsWith('write the access policy')),
    ).toBe(true);
    expect(result.changes).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1500)); // the plugin looks at the file at most once a second
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('granted', '/Shared/team'),
      allow: true,
    });
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('granted-2', '/Shared/team'),
      allow: true,
      on: 'm2',
    });
    for (const on of ['m1', 'm2']) {
      const r = await docker('gone', ['service', 'ls'], on);
      expect(denied(r), r.stderr).toBe(true);
      expect(r.stderr).toMatch(/gone is not in the access policy/);
    }
    await expectAnswer({ user: 'gone', method: 'GET', path: '/v1.41/services', allow: false });
    expect(
      (await runEectl(['client-config', '-c', file, '--user', 'gone', '--out', join(work, 'b2'), '--json']))
        .code,
    ).toBe(2);
    const policy = JSON.parse((await sandbox.exec('m2', 'cat /etc/eectl/access/policy.json')).stdout) as {
      revoked: { user: string }[];
    };
    expect(policy.revoked.map((r) => r.user)).toEqual(['gone']);
    expect({ m1: await pid('m1', 'docker'), m2: await pid('m2', 'docker') }).toEqual(engines);
  });

  it('eectl access check and the managers agree on every request of the test', async () => {
    expect(asked.length).toBeGreaterThan(20);
    for (const call of asked) {
      const args = [
        'access',
        'check',
        '-c',
        file,
        '--user',
        call.user,
        '--method',
        call.method,
        '--path',
        call.path,
        '--json',
      ];
      if (call.body !== undefined) {
        const bodyFile = join(work, 'body.json');
        writeFileSync(bodyFile, JSON.stringify(call.body));
        args.push('--body', bodyFile);
      }
      // Asked now, after the grant change: the requests made before it are judged by today's policy.
      const r = await runEectl(args);
      const decision = r.json?.result as AccessCheckResult;
      const now = await raw(call);
      const engineNow = !(
        now.status === 403 && now.text.includes('authorization denied by plugin eectl-authz')
      );
      expect(decision.allow, `${call.user} ${call.method} ${call.path}: check says ${decision.reason}`).toBe(
        engineNow,
      );
      expect(r.code).toBe(decision.allow ? 0 : 1);
    }
  });

  it('eectl access log gathers every decision from the managers', async () => {
    const r = await runEectl([
      'access',
      'log',
      '-c',
      file,
      '--user',
      'dev',
      '--denied',
      '--since',
      '1h',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const entries = (r.json?.result as { entries: AuditEntry[] }).entries;
    expect(entries.every((e) => e.user === 'dev' && !e.allow)).toBe(true);
    expect(entries.some((e) => /bind mount of the host path \//.test(e.reason) && e.method === 'POST')).toBe(
      true,
    );
    const all = await runEectl(['access', 'log', '-c', file, '--since', '1h', '--json']);
    const hosts = new Set((all.json?.result as { entries: AuditEntry[] }).entries.map((e) => e.host));
    expect(hosts).toEqual(new Set([address('m1'), address('m2')]));
  });
});
