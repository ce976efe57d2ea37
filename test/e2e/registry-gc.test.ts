import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { localPkiDir } from '../../src/lib/pki/paths.js';
import type {
  RegistryGcResult,
  RegistryListResult,
  RegistryPruneResult,
} from '../../src/lib/results/registry.js';
import { runEectl, startEectl } from '../helpers/cli.js';
import { realCosign } from './helpers/cosign.js';
import { loadBusybox } from './helpers/images.js';
import { startPullSampler } from './helpers/registry-sampler.js';
import { useSandbox } from './helpers/sandbox.js';

const PORT = 5443;

describe('registry gc, prune and ls: two replicas on shared storage, pulls served throughout', () => {
  const sandbox = useSandbox({ name: 'e2e-registry-gc', managers: 1, registries: 2 });
  const endpoint = (ref: string) => `${sandbox.host(ref).address}:${PORT}`;
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  let work = '';
  let file = '';
  let adminPassword = '';
  /** eectl with no registry login of this machine: it logs in as admin with the password the managers keep. */
  const eectl = (args: string[], env: Record<string, string> = {}) =>
    runEectl([...args, '-c', file, '--json'], { env: { DOCKER_CONFIG: join(work, 'no-docker'), ...env } });
  /** A run that must succeed: on failure the message shows its error, not only its exit code. */
  const succeeded = (r: {
    code: number | undefined;
    stderr: string;
    json?: { error?: unknown } | undefined;
  }) =>
    expect({ code: r.code, error: r.json?.error }, r.stderr.slice(-2000)).toEqual({
      code: 0,
      error: undefined,
    });
  const image = (tag: string, via = 'r1') => `${endpoint(via)}/e2e/app:${tag}`;

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Builds and pushes `e2e/app:<tag>` from m1 with a layer of its own (random bytes: no blob shared). */
  const pushOwnLayer = async (base: string, tag: string, kib: number) =>
    run(
      'm1',
      `d=$(mktemp -d) && head -c ${kib * 1024} /dev/urandom > $d/blob && ` +
        `printf 'FROM %s\\nCOPY blob /blob-${tag}\\n' '${base}' > $d/Dockerfile && ` +
        `docker build -q -t ${image(tag)} $d >/dev/null && docker push ${image(tag)} >/dev/null && rm -rf $d`,
    );

  it('installs, pushes three tags with their own layers, signs one, and lists them with the signature', async () => {
    work = await mkdtemp(join(tmpdir(), 'eectl-e2e-gc-'));
    const cosign = await realCosign();
    const made = await execa(cosign, ['generate-key-pair', '--output-key-prefix', 'release'], {
      env: { PATH: process.env.PATH ?? '', HOME: work, COSIGN_PASSWORD: 'e2e-key' },
      cwd: work,
      reject: false,
    });
    expect(made.exitCode, made.stderr).toBe(0);
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'images', 'policy'], { keys: [join(work, 'release.pub')] });
    // Keep only tags named keep*: `old` goes, `signed` stays for its signature, whatever its name.
    doc.setIn(['spec', 'registry', 'retention'], [{ repository: 'e2e/*', keep: { matching: 'keep*' } }]);
    file = join(work, 'cluster.yaml');
    await writeFile(file, doc.toString());

    const installed = await runEectl(['install', '-c', file, '--json']);
    succeeded(installed);
    adminPassword =
      (installed.json?.result as { registry?: { adminPassword?: string } }).registry?.adminPassword ?? '';
    expect(adminPassword).not.toBe('');
    const base = await loadBusybox(sandbox, ['m1']);
    await sandbox.exec('m1', 'printf "%s" "$1" | docker login -u admin --password-stdin "$2" >/dev/null', {
      check: true,
      args: [adminPassword, endpoint('r1')],
    });
    await sandbox.exec('m1', 'printf "%s" "$1" | docker login -u admin --password-stdin "$2" >/dev/null', {
      check: true,
      args: [adminPassword, endpoint('r2')],
    });
    await pushOwnLayer(base, 'keep', 1024);
    await pushOwnLayer(base, 'old', 2048);
    await pushOwnLayer(base, 'signed', 512);
    const signed = await runEectl(
      ['image', 'sign', image('signed'), '--key', join(work, 'release.key'), '-c', file, '--json'],
      {
        env: {
          COSIGN_PASSWORD: 'e2e-key',
          EECTL_REGISTRY_USERNAME: 'admin',
          EECTL_REGISTRY_PASSWORD: adminPassword,
        },
      },
    );
    succeeded(signed);

    const ls = await eectl(['registry', 'ls', 'e2e/app']);
    succeeded(ls);
    const tags = (ls.json?.result as RegistryListResult).repositories[0]!.tags;
    const byTag = new Map(tags.map((t) => [t.tag, t]));
    expect([...byTag.keys()].filter((t) => !t.endsWith('.sig')).sort()).toEqual(['keep', 'old', 'signed']);
    expect(byTag.get('signed')?.signedBy).toBe(join(work, 'release.pub'));
    expect(byTag.get('old')?.signedBy).toBeUndefined();
    expect(byTag.get('old')?.size).toBeGreaterThan(2 * 1024 * 1024);
    expect(Date.parse(byTag.get('keep')?.created ?? '')).toBeGreaterThan(Date.now() - 3_600_000);
    // The admin password never shows, in any output.
    expect(ls.stdout + ls.stderr).not.toContain(adminPassword);
  });

  it('prunes by rule: --dry-run deletes nothing; then the unsigned tag outside the rule goes, the signed one stays', async () => {
    const dry = await eectl(['registry', 'prune', '--dry-run']);
    succeeded(dry);
    const plan = (dry.json?.result as RegistryPruneResult).repositories;
    const verdicts = new Map(plan[0]!.tags.map((t) => [t.tag, t]));
    expect(verdicts.get('old')?.keep).toBe(false);
    expect(verdicts.get('signed')).toMatchObject({
      keep: true,
      reason: `signed by ${join(work, 'release.pub')}`,
    });
    expect(verdicts.get('keep')?.keep).toBe(true);
    const still = await eectl(['registry', 'ls', 'e2e/app']);
    expect((still.json?.result as RegistryListResult).repositories[0]!.tags.map((t) => t.tag)).toContain(
      'old',
    );

    const pruned = await eectl(['registry', 'prune', '--yes']);
    succeeded(pruned);
    expect((pruned.json?.result as RegistryPruneResult).prunedTags).toBe(1);
    const after = await eectl(['registry', 'ls', 'e2e/app']);
    const left = (after.json?.result as RegistryListResult).repositories[0]!.tags.map((t) => t.tag);
    expect(left.filter((t) => !t.endsWith('.sig')).sort()).toEqual(['keep', 'signed']);
    expect(left.some((t) => t.endsWith('.sig'))).toBe(true);
  });

  it('gc --dry-run reports what it would free and changes nothing', async () => {
    const config = () =>
      run(
        'm1',
        "docker service inspect eectl-registry --format '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}}{{end}}'",
      );
    const before = (await config()).stdout;
    const dry = await eectl(['registry', 'gc', '--dry-run']);
    succeeded(dry);
    const result = dry.json?.result as RegistryGcResult;
    expect(result.collector?.blobsEligible).toBeGreaterThanOrEqual(2); // the pruned image's layer and config
    expect(result.changes.map((c) => c.description)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^roll eectl-registry to read-only/),
        expect.stringMatching(/^roll eectl-registry back to read-write/),
      ]),
    );
    expect((await config()).stdout).toBe(before);
  });

  it('gc: every replica read-only one at a time, zero failed pulls through both, a push refused in the window and accepted after, bytes freed', async () => {
    const ca = await readFile(join(localPkiDir(sandbox.name), 'ca.pem'), 'utf8');
    const sampler = startPullSampler({
      replicas: [endpoint('r1'), endpoint('r2')],
      repository: 'e2e/app',
      tag: 'keep',
      ca,
      username: 'admin',
      password: adminPassword,
      intervalMs: 1000,
      maxMs: 600_000,
    });
    // A push of a new tag through r1 every second or so from m1, each attempt logged, until told to stop.
    const pushLoop = sandbox.exec(
      'm1',
      'docker tag "$1" "$2"; rm -f /tmp/push.log /tmp/push.stop; ' +
        'while [ ! -e /tmp/push.stop ]; do s=$(date +%s%N); out=$(docker push "$2" 2>&1); rc=$?; ' +
        'echo "$s $rc $(date +%s%N) $(echo "$out" | tr "\\n" " ")" >> /tmp/push.log; sleep 1; done',
      { timeoutMs: 900_000, args: [image('keep'), image('during')] },
    );
    await new Promise((r) => setTimeout(r, 3000));
    const started = Date.now();
    const gc = await startEectl(['registry', 'gc', '--yes', '-c', file, '--json'], {
      env: { DOCKER_CONFIG: join(work, 'no-docker') },
    });
    const ended = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    await run('m1', 'touch /tmp/push.stop');
    await pushLoop;
    const samples = await sampler.stop();

    const envelope = JSON.parse(String(gc.stdout)) as { result: RegistryGcResult; error?: unknown };
    succeeded({ code: gc.exitCode, stderr: String(gc.stderr), json: envelope });
    const result = envelope.result;
    expect(result.replicas).toBe(2);
    expect(result.collector?.blobsEligible).toBeGreaterThanOrEqual(2);
    expect(result.bytesFreed).toBeGreaterThan(2 * 1024 * 1024);
    expect(result.readOnlyMs).toBeGreaterThan(0);
    expect(result.readOnlyMs).toBeLessThanOrEqual(ended - started);

    console.info(
      `gc: ${result.collector?.blobsEligible} blobs, ${result.bytesFreed} bytes freed; pushes refused for ${result.readOnlyMs} ms; ` +
        `${samples.length} pulls sampled, ${samples.filter((x) => x.tried.length > 1).length} served by the second replica tried`,
    );
    // Pulls: one a second through both replicas during the whole run, none failed.
    const during = samples.filter((s) => s.at >= started && s.at <= ended);
    expect(during.length).toBeGreaterThanOrEqual(Math.floor((ended - started) / 2000));
    expect(samples.filter((s) => !s.ok)).toEqual([]);
    for (const replica of [endpoint('r1'), endpoint('r2')]) {
      expect(
        during.some((s) => s.servedBy === replica),
        `${replica} served pulls during gc`,
      ).toBe(true);
    }

    // Pushes: refused by the read-only registry in the window (its 405), accepted before and after it.
    const attempts = (await run('m1', 'cat /tmp/push.log')).stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [s, code, e, ...said] = l.split(' ');
        return { start: Number(s) / 1e6, code: Number(code), end: Number(e) / 1e6, said: said.join(' ') };
      });
    const refused = attempts.filter((a) => a.code !== 0 && /405|method not allowed/i.test(a.said));
    expect(refused.length, JSON.stringify(attempts)).toBeGreaterThan(0);
    for (const a of refused) expect(a.end).toBeGreaterThanOrEqual(started);
    const after = attempts.filter((a) => a.start > ended);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((a) => a.code !== 0)).toEqual([]);
    expect(attempts.filter((a) => a.start < started && a.end < started).every((a) => a.code === 0)).toBe(
      true,
    );

    // The tags kept still pull with the docker CLI through the other replica; the pruned one is gone.
    await run('m1', `docker rmi ${image('keep')} ${image('signed')} ${image('during')} >/dev/null`);
    await run(
      'm1',
      `docker pull ${image('keep', 'r2')} >/dev/null && docker pull ${image('signed', 'r2')} >/dev/null`,
    );
    const gone = await sandbox.exec('m1', `docker pull ${image('old', 'r2')}`);
    expect(gone.code).not.toBe(0);
    // Every replica is read-write again, with the config it had; the read-only config is removed.
    const configs = await run(
      'm1',
      "docker config ls --format '{{.Name}}' | grep -c '^eectl-registry-config-'",
    );
    expect(configs.stdout.trim()).toBe('1');
  });
});
