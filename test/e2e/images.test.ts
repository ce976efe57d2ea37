import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { localPkiDir } from '../../src/lib/pki/paths.js';
import { runEectl } from '../helpers/cli.js';
import { realCosign } from './helpers/cosign.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

const PORT = 5443;

describe('signed images: eectl and the real cosign read and write the same signatures', () => {
  const sandbox = useSandbox({ name: 'e2e-images', managers: 1, registries: 1 });
  const registry = () => `${sandbox.host('r1').address}:${PORT}`;
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  let work = '';
  let cosign = '';
  let policyFile = '';
  /** The cosign CLI on this machine, trusting the cluster CA and logged in to the cluster registry. */
  let cosignEnv: Record<string, string> = {};
  const images = { signedByCosign: '', signedByEectl: '', unsigned: '' };

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

  const cosignRun = (args: string[]) =>
    execa(cosign, args, { env: cosignEnv, reject: false, cwd: work, timeout: 120_000 });

  it('installs a registry and pushes three images to it', async () => {
    const installed = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
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
    expect(images.unsigned).toMatch(/@sha256:[a-f0-9]{64}$/);

    work = await mkdtemp(join(tmpdir(), 'eectl-e2e-cosign-'));
    cosign = await realCosign();
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
    const clusterName = sandbox.name;
    cosignEnv = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      DOCKER_CONFIG: dockerConfig,
      SSL_CERT_FILE: join(localPkiDir(clusterName), 'ca.pem'),
      COSIGN_PASSWORD: 'e2e-key-password',
    };
    for (const pair of ['cosign', 'eectl']) {
      const made = await execa(cosign, ['generate-key-pair', '--output-key-prefix', pair], {
        env: cosignEnv,
        cwd: work,
        reject: false,
      });
      expect(made.exitCode, made.stderr).toBe(0);
    }
    // The file trusts both keys; eectl reads registry credentials from the same docker config.
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'images', 'policy'], {
      requireSigned: false,
      keys: [join(work, 'cosign.pub'), join(work, 'eectl.pub')],
    });
    policyFile = join(work, 'cluster.yaml');
    await writeFile(policyFile, doc.toString());
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
    await cosignRun(['generate-key-pair', '--output-key-prefix', 'stranger']);
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
});
