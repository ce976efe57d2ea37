import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { localPkiDir } from '../../src/lib/pki/paths.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl } from '../helpers/cli.js';
import { realCosign } from './helpers/cosign.js';
import { curlEngine, refusedByPlugin, type CurlRequest } from './helpers/curl.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

const PORT = 5443;

describe('signed images: eectl and the real cosign read and write the same signatures, and the managers run only signed ones', () => {
  const sandbox = useSandbox({ name: 'e2e-images', managers: 1, registries: 1 });
  const registry = () => `${sandbox.host('r1').address}:${PORT}`;
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  let work = '';
  let cosign = '';
  let policyFile = '';
  /** The cosign CLI on this machine, trusting the cluster CA and logged in to the cluster registry. */
  let cosignEnv: Record<string, string> = {};
  const images = { signedByCosign: '', signedByEectl: '', unsigned: '', plain: '' };

  /** Pushes a small image with one distinct file under `name:1` from m1; returns `registry/name@digest`. */
  const pushImage = async (base: string, name: string): Promise<string> => {
    const tag = `${registry()}/e2e/${name}:1`;
    // A label is enough for a distinct image (its own config, so its own digest), with no shell needed.
    await run(
      'm1',
      `printf 'FROM %s\\nLABEL which=%s\\n' '${base}' '${name}' | docker build -q -t ${tag} - >/dev/null && docker push ${tag} >/dev/null`,
    );
    const digest = await run('m1', `docker inspect --format '{{index .RepoDigests 0}}' ${tag}`);
    return digest.stdout.trim();
  };

  afterAll(async () => {
    // Keys, the registry password in the docker config, the admin's bundle.
    if (work) await rm(work, { recursive: true, force: true });
  });

  const cosignRun = (args: string[]) =>
    execa(cosign, args, { env: cosignEnv, reject: false, cwd: work, timeout: 120_000 });

  it('installs a registry with signed images required (the plugin without spec.access) and pushes four images', async () => {
    work = await mkdtemp(join(tmpdir(), 'eectl-e2e-cosign-'));
    cosign = await realCosign();
    cosignEnv = { PATH: process.env.PATH ?? '', HOME: work, COSIGN_PASSWORD: 'e2e-key-password' };
    for (const pair of ['cosign', 'eectl', 'stranger']) {
      const made = await execa(cosign, ['generate-key-pair', '--output-key-prefix', pair], {
        env: cosignEnv,
        cwd: work,
        reject: false,
      });
      expect(made.exitCode, made.stderr).toBe(0);
    }
    // The file trusts two keys (not the stranger's) and requires signatures from the first install on.
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'images', 'policy'], {
      requireSigned: true,
      keys: [join(work, 'cosign.pub'), join(work, 'eectl.pub')],
    });
    policyFile = join(work, 'cluster.yaml');
    await writeFile(policyFile, doc.toString());

    const installed = await runEectl(['install', '-c', policyFile, '--json']);
    expect(installed.code, installed.stderr).toBe(0);
    const password = (installed.json?.result as { registry?: { adminPassword?: string } }).registry
      ?.adminPassword;
    expect(password).toBeTruthy();
    const base = await loadBusybox(sandbox, ['m1']);
    await run(
      'm1',
      `printf '%s' '${password}' | docker login -u admin --password-stdin ${registry()} >/dev/null`,
    );
    images.signedByCosign = await pushImage(base, 'by-cosign');
    images.signedByEectl = await pushImage(base, 'by-eectl');
    images.unsigned = await pushImage(base, 'unsigned');
    images.plain = await pushImage(base, 'plain');
    expect(images.unsigned).toMatch(/@sha256:[a-f0-9]{64}$/);

    const dockerConfig = join(work, 'docker');
    await execa('mkdir', ['-p', dockerConfig]);
    const auth = Buffer.from(`admin:${password}`).toString('base64');
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [registry()]: { auth } } }),
      {
        mode: 0o600,
      },
    );
    cosignEnv = {
      ...cosignEnv,
      DOCKER_CONFIG: dockerConfig,
      SSL_CERT_FILE: join(localPkiDir(sandbox.name), 'ca.pem'),
    };
  });

  const eectl = (args: string[]) =>
    runEectl([...args, '-c', policyFile, '--json'], {
      env: { DOCKER_CONFIG: cosignEnv.DOCKER_CONFIG, COSIGN_PASSWORD: cosignEnv.COSIGN_PASSWORD },
    });

  it('accepts a signature made by `cosign sign --key`', async () => {
    const signed = await cosignRun([
      'sign',
      '--key',
      'cosign.key',
      '--tlog-upload=false',
      '-y',
      images.signedByCosign,
    ]);
    expect(signed.exitCode, signed.stderr).toBe(0);
    const verified = await eectl(['image', 'verify', images.signedByCosign]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.json?.result).toMatchObject({ verified: true, signedBy: join(work, 'cosign.pub') });
  });

  it('writes signatures that `cosign verify --key` accepts', async () => {
    // By tag: eectl resolves it to the digest and signs that.
    const tagged = images.signedByEectl.replace(/@sha256:.*$/, ':1');
    const signed = await eectl(['image', 'sign', tagged, '--key', join(work, 'eectl.key')]);
    expect(signed.code, signed.stdout).toBe(0);
    expect((signed.json?.result as { image: string }).image).toBe(images.signedByEectl);
    const verified = await cosignRun([
      'verify',
      '--key',
      'eectl.pub',
      '--insecure-ignore-tlog',
      images.signedByEectl,
    ]);
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(images.signedByEectl.split('@')[1]);
    // cosign's own check fails with the other key: the signature is really eectl's key's.
    const wrongKey = await cosignRun([
      'verify',
      '--key',
      'cosign.pub',
      '--insecure-ignore-tlog',
      images.signedByEectl,
    ]);
    expect(wrongKey.exitCode).not.toBe(0);
    // Signing again with the same key adds nothing.
    const again = await eectl(['image', 'sign', images.signedByEectl, '--key', join(work, 'eectl.key')]);
    expect(again.json?.result).toMatchObject({ added: false });
  });

  it('says why an image does not verify: no signature, an untrusted key, a bad password', async () => {
    const unsigned = await eectl(['image', 'verify', images.unsigned]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.json?.error?.message).toMatch(/has no signature/);
    // Signed only by a key the file does not trust.
    expect(
      (await cosignRun(['sign', '--key', 'stranger.key', '--tlog-upload=false', '-y', images.unsigned]))
        .exitCode,
    ).toBe(0);
    const stranger = await eectl(['image', 'verify', images.unsigned]);
    expect(stranger.code).toBe(1);
    expect(stranger.json?.error?.message).toMatch(
      /none of its 1 signature\(s\) counts: .*signed by none of the trusted keys/,
    );
    const badPassword = await runEectl(
      ['image', 'sign', images.unsigned, '--key', join(work, 'eectl.key'), '-c', policyFile, '--json'],
      { env: { DOCKER_CONFIG: cosignEnv.DOCKER_CONFIG, COSIGN_PASSWORD: 'wrong' } },
    );
    expect(badPassword.code).toBe(2);
    expect(badPassword.json?.error?.message).toMatch(/wrong password/);
  });

  it('refuses a cluster file whose key cannot be read, with its line', async () => {
    const doc = parseDocument(await readFile(policyFile, 'utf8'));
    doc.setIn(['spec', 'images', 'policy', 'keys'], [join(work, 'missing.pub'), join(work, 'cosign.key')]);
    const broken = join(work, 'broken.yaml');
    await writeFile(broken, doc.toString());
    const checked = await runEectl(['config', 'validate', '-c', broken]);
    expect(checked.code).toBe(2);
    expect(checked.stderr + checked.stdout).toMatch(
      /broken\.yaml:\d+:\d+: spec\.images\.policy\.keys\[0\]: cannot read the key .*missing\.pub: no such file/,
    );
    expect(checked.stderr + checked.stdout).toMatch(
      /spec\.images\.policy\.keys\[1\]: .*cosign\.key: not a PEM public key/,
    );
  });

  /** The docker CLI of this machine against m1's API with the admin's bundle, logged in to the registry. */
  const docker = (args: string[]) =>
    runLocal('docker', args, {
      check: false,
      timeoutMs: 180_000,
      env: {
        DOCKER_CONFIG: cosignEnv.DOCKER_CONFIG!,
        DOCKER_CONTEXT: '',
        DOCKER_HOST: `tcp://${sandbox.host('m1').address}:2376`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: join(work, 'bundle'),
      },
    });
  /** A service that keeps running (the test images hold only /bin/busybox). */
  const create = (name: string, image: string, more: string[] = []) =>
    docker([
      'service',
      'create',
      '--detach',
      '--with-registry-auth',
      '--name',
      name,
      ...more,
      image,
      '/bin/busybox',
      'sleep',
      '3600',
    ]);
  const tagOf = (ref: string) => ref.replace(/@sha256:.*$/, ':1');
  /** Refused by the managers' plugin for the signed-images reason `why`. */
  const refused = (r: { code: number; stderr: string }, why: RegExp) => {
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('authorization denied by plugin eectl-authz: signed images only:');
    expect(r.stderr).toMatch(why);
  };
  const replicas = async (service: string) =>
    (
      await docker(['service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}'])
    ).stdout.trim();
  const waitRunning = async (service: string) => {
    const until = Date.now() + 180_000;
    while ((await replicas(service)) !== '1/1') {
      if (Date.now() > until) {
        const ps = await docker(['service', 'ps', '--no-trunc', service]);
        throw new Error(`${service} did not start within 180 s:\n${ps.stdout}${ps.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  it('with requireSigned, the managers admit only digests signed by a trusted key, admins included', async () => {
    // The policy the managers got is stable: a second install changes nothing.
    const again = await runEectl(['install', '-c', policyFile, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json?.result as { converged: boolean; changes: unknown[] }).changes).toEqual([]);
    const bundle = await eectl(['client-config', '--out', join(work, 'bundle'), '--context', 'e2e-images']);
    expect(bundle.code, bundle.stdout + bundle.stderr).toBe(0);
    // Signed by the real `cosign sign --key`: the CLI pins the tag to its digest, the plugin admits it, it runs.
    const signed = await create('signed', tagOf(images.signedByCosign));
    expect(signed.code, signed.stderr).toBe(0);
    await waitRunning('signed');
    const spec = await docker([
      'service',
      'inspect',
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      'signed',
    ]);
    expect(spec.stdout.trim()).toBe(`${tagOf(images.signedByCosign)}@${images.signedByCosign.split('@')[1]}`);
    // The same kind of image, never signed.
    refused(await create('plain', tagOf(images.plain)), /e2e\/plain@sha256:[a-f0-9]{64} has no signature/);
    // Signed, but by a key the file does not list.
    refused(
      await create('stranger', images.unsigned),
      /is by a trusted key \(.*signed by none of the trusted keys\)/,
    );
    // By tag only: refused with how to pin it.
    refused(
      await create('tagged', tagOf(images.signedByCosign), ['--no-resolve-image']),
      /named by tag only.*IMAGE@sha256:<digest>.*--no-resolve-image/,
    );
    // The digest is what counts: after the tag moves to an unsigned image, an update to the tag is refused.
    const moving = await create('moving', tagOf(images.signedByEectl));
    expect(moving.code, moving.stderr).toBe(0);
    await run(
      'm1',
      `docker tag ${tagOf(images.plain)} ${tagOf(images.signedByEectl)} && docker push ${tagOf(images.signedByEectl)} >/dev/null`,
    );
    refused(
      await docker([
        'service',
        'update',
        '--detach',
        '--with-registry-auth',
        '--image',
        tagOf(images.signedByEectl),
        'moving',
      ]),
      new RegExp(`e2e/by-eectl@${images.plain.split('@')[1]} has no signature`),
    );
    // `eectl access check` runs the plugin's code on the manager and agrees.
    const bodyFile = join(work, 'plain-service.json');
    await writeFile(
      bodyFile,
      JSON.stringify({ Name: 'p', TaskTemplate: { ContainerSpec: { Image: images.plain } } }),
    );
    const checked = await eectl([
      'access',
      'check',
      '--user',
      'admin',
      '--method',
      'POST',
      '--path',
      '/v1.41/services/create',
      '--body',
      bodyFile,
    ]);
    expect(checked.code, checked.stdout).toBe(1);
    expect(
      (checked.json?.result as { reason?: string } | undefined)?.reason ?? checked.json?.error?.message,
    ).toMatch(/has no signature/);
    // eectl's own registry keeps running, and an admin may restart it: its image is eectl's own.
    expect(await replicas('eectl-registry')).toBe('1/1');
    const restart = await docker(['service', 'update', '--detach', '--force', 'eectl-registry']);
    expect(restart.code, restart.stderr).toBe(0);
    await waitRunning('eectl-registry');
  });

  it('with requireSigned, curl with odd request targets: an unsigned image refused however the path is written, builds and plugin installs refused for the admin, eectl’s registry image only for eectl-registry', async () => {
    const m1 = sandbox.host('m1').address;
    const admin = join(work, 'bundle');
    const service = (name: string, image: string) =>
      JSON.stringify({
        Name: name,
        TaskTemplate: { ContainerSpec: { Image: image, Command: ['/bin/busybox', 'sleep', '3600'] } },
        Mode: { Replicated: { Replicas: 0 } },
      });
    const registryImage = (
      await run(
        'm1',
        "docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' eectl-registry",
      )
    ).stdout.trim();
    expect(registryImage).not.toBe('');
    const registrySpec = async () =>
      JSON.parse((await run('m1', "docker service inspect --format '{{json .}}' eectl-registry")).stdout) as {
        Version: { Index: number };
        Spec: unknown;
      };
    // Each hostile request of the admin with its reason, and its twin (the same request made harmless).
    const cases: {
      class: string;
      hostile: CurlRequest & { reason: string };
      twin?: CurlRequest & { ok?: false };
    }[] = [
      ...[
        '/v1.41.0/services/create',
        '/v01.041/services/create',
        '/services/create',
        'http://x/v1.41/services/create',
        '/v1.41/%73ervices/create',
      ].map((target, i) => ({
        class: `unsigned image through ${target}`,
        hostile: {
          method: 'POST',
          target,
          body: service(`hc-plain-${i}`, images.plain),
          reason: 'has no signature',
        },
        twin: { method: 'POST', target, body: service(`hc-signed-${i}`, images.signedByCosign) },
      })),
      {
        class: 'unsigned image in a container create',
        hostile: {
          method: 'POST',
          target: '/v1.41.0/containers/create?name=hc-plain-c',
          body: JSON.stringify({ Image: images.plain, Cmd: ['/bin/busybox', 'true'] }),
          reason: 'has no signature',
        },
        // The engine may not have the image by that name: an error of its own is fine, the plugin let it by.
        twin: {
          method: 'POST',
          target: '/v1.41.0/containers/create?name=hc-signed-c',
          body: JSON.stringify({ Image: images.signedByCosign, Cmd: ['/bin/busybox', 'true'] }),
          ok: false,
        },
      },
      {
        class: "eectl's registry image for a service that is not eectl-registry",
        hostile: {
          method: 'POST',
          target: '/v1.41/services/create',
          body: service('hc-not-registry', registryImage),
          reason: 'signed images only',
        },
        twin: {
          method: 'POST',
          target: '/v1.41/services/eectl-registry/update?version={{version}}',
          body: '{{spec}}',
        },
      },
      {
        class: 'an image build (it runs code no signature covers)',
        hostile: { method: 'POST', target: '/v1.41/build', reason: 'signed images only: image builds' },
      },
      {
        class: 'a plugin install',
        hostile: {
          method: 'POST',
          target: '/v1.41/plugins/pull?remote=127.0.0.1:9/hc/plugin:1',
          body: '[]',
          reason: 'signed images only: plugins',
        },
      },
    ];
    const problems: string[] = [];
    for (const c of cases) {
      const h = await curlEngine(m1, admin, c.hostile);
      if (!refusedByPlugin(h) || !h.message.includes(c.hostile.reason))
        problems.push(
          `${c.class}: ${h.status} ${h.message} (expected the plugin's 403 with "${c.hostile.reason}")`,
        );
      if (!c.twin) continue;
      const current = await registrySpec();
      const twin = {
        ...c.twin,
        target: c.twin.target.replace('{{version}}', String(current.Version.Index)),
        ...(c.twin.body !== undefined && {
          body: c.twin.body.replace('{{spec}}', JSON.stringify(current.Spec)),
        }),
      };
      const t = await curlEngine(m1, admin, twin);
      if (refusedByPlugin(t) || (c.twin.ok !== false && (t.status < 200 || t.status > 299)))
        problems.push(`${c.class} (twin): ${t.status} ${t.message}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
    // The twin's update carried no registry credentials, which swarm counts as a change: the registry's task
    // is replaced, and comes back.
    await waitRunning('eectl-registry');
    await run(
      'm1',
      'docker service ls -q --filter name=hc- | xargs -r docker service rm >/dev/null; docker ps -aq --filter name=hc- | xargs -r docker rm -f >/dev/null',
    );
  });

  it('with requireSigned off again, everything is allowed', async () => {
    const doc = parseDocument(await readFile(policyFile, 'utf8'));
    doc.setIn(['spec', 'images', 'policy', 'requireSigned'], false);
    await writeFile(policyFile, doc.toString());
    const installed = await runEectl(['install', '-c', policyFile, '--json']);
    expect(installed.code, installed.stderr).toBe(0);
    const changes = (installed.json?.result as { changes: { description: string }[] }).changes;
    expect(changes.map((c) => c.description)).toContain(
      'write the access policy /etc/eectl/access/policy.json',
    );
    for (const [name, image, more] of [
      ['plain', tagOf(images.plain), []],
      ['stranger', images.unsigned, []],
      ['tagged', tagOf(images.signedByCosign), ['--no-resolve-image']],
    ] as const) {
      const r = await create(name, image, [...more]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
    const update = await docker([
      'service',
      'update',
      '--detach',
      '--with-registry-auth',
      '--image',
      tagOf(images.signedByEectl),
      'moving',
    ]);
    expect(update.code, update.stderr).toBe(0);
    // The twins of the build and the plugin install refused above: the plugin lets the admin's through (the
    // engine then fails on its own: an empty build context, a registry that does not answer).
    for (const request of [
      { method: 'POST', target: '/v1.41/build' },
      { method: 'POST', target: '/v1.41/plugins/pull?remote=127.0.0.1:9/hc/plugin:1', body: '[]' },
    ]) {
      const r = await curlEngine(sandbox.host('m1').address, join(work, 'bundle'), request);
      expect(refusedByPlugin(r), `${request.target}: ${r.status} ${r.message}`).toBe(false);
    }
  });
});
