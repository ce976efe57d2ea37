import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  changes: { host: string; description: string }[];
  registry?: {
    replicas: { host: string; healthy: boolean; detail: string }[];
    adminPassword?: string;
  };
}

const PORT = 5443;

/**
 * registry.immutable with the real docker CLI: one manager pushes through the gate on the one registry
 * host (the fewest hosts that show it: the gate runs where the replica does).
 */
describe('registry.immutable: a tag of a release repository never moves', () => {
  const sandbox = useSandbox({ name: 'e2e-imm', managers: 1, registries: 1 });
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  /** A push from m1: its exit code and what docker printed. */
  const push = async (ref: string) => {
    const r = await sandbox.exec('m1', `docker push ${ref} 2>&1`, { timeoutMs: 300_000 });
    return { code: r.code, output: `${r.stdout}${r.stderr}` };
  };
  const registry = () => `${sandbox.host('r1').address}:${PORT}`;
  let password = '';
  /** The digest the registry has for a tag (HEAD through the gate, as the admin). */
  const digestOf = async (repository: string, tag: string) => {
    const head = await run(
      'm1',
      `curl -sS -I -u 'admin:${password}' --cacert /etc/docker/certs.d/${registry()}/ca.crt ` +
        `-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' ` +
        `https://${registry()}/v2/${repository}/manifests/${tag}`,
    );
    return /docker-content-digest: (sha256:[0-9a-f]{64})/i.exec(head.stdout)?.[1];
  };

  /** Sets registry.immutable in the sandbox's file and installs; the install's result. */
  const installWith = async (immutable: string[]) => {
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'registry', 'immutable'], immutable);
    await writeFile(sandbox.clusterFile, doc.toString(), { mode: 0o600 });
    const r = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(0);
    const result = r.json?.result as InstallJson;
    expect(result.registry?.replicas.map((x) => [x.healthy, x.detail])).toEqual([[true, 'HTTP 401']]);
    return result;
  };
  const publishedPorts = async () =>
    (
      await run('m1', "docker service inspect eectl-registry --format '{{json .Spec.EndpointSpec.Ports}}'")
    ).stdout.trim();

  it('puts the gate in front of a running replica: the port becomes the gate’s, Distribution keeps only its socket', async () => {
    const first = await installWith([]);
    password = first.registry?.adminPassword ?? '';
    expect(await publishedPorts()).toContain(`"PublishedPort":${PORT}`);
    const result = await installWith(['release/*']);
    expect(result.changes.map((c) => c.description)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('install the registry gate (immutable tags)'),
        expect.stringMatching(/^roll out eectl-registry one replica at a time \(.*port.*\)$/),
      ]),
    );
    expect(await publishedPorts()).toMatch(/^(null|\[\])$/);
    const listener = await run('r1', `ss -Hltnp 'sport = :${PORT}'`);
    expect(listener.stdout).toContain('"node"');
    expect((await run('r1', 'stat -c %a /var/lib/eectl/registry-socket')).stdout.trim()).toBe('700');
    await run('m1', `printf '%s' '${password}' | docker login -u admin --password-stdin ${registry()}`);
    const again = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(again.code).toBe(0);
    expect((again.json?.result as InstallJson).changes).toEqual([]);
  });

  it('pushes a release, pushes it again, refuses another image under its tag, takes a new tag; other repositories move', async () => {
    const local = await loadBusybox(sandbox, ['m1']);
    const one = `${registry()}/release/app:1.0`;
    // A second image: the first with one more label (another config, so another digest).
    await run(
      'm1',
      `docker tag ${local} e2e/one && docker rm -f e2e-two >/dev/null 2>&1; docker create --name e2e-two ${local} >/dev/null && ` +
        `docker commit --change 'LABEL e2e=two' e2e-two e2e/two >/dev/null && docker rm e2e-two >/dev/null`,
    );

    await run('m1', `docker tag e2e/one ${one}`);
    expect(await push(one)).toMatchObject({ code: 0 });
    const first = await digestOf('release/app', '1.0');
    expect(first).toMatch(/^sha256:/);
    expect((await push(one)).code).toBe(0);

    await run('m1', `docker tag e2e/two ${one}`);
    const refused = await push(one);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("tag release/app:1.0 is immutable (registry.immutable 'release/*')");
    expect(refused.output).toContain('Push the image under a new tag instead');
    console.log(`docker push of a moved tag: ${refused.output.trim().split('\n').at(-1)}`);
    expect(await digestOf('release/app', '1.0')).toBe(first);

    const next = `${registry()}/release/app:1.1`;
    await run('m1', `docker tag e2e/two ${next}`);
    expect((await push(next)).code).toBe(0);

    const other = `${registry()}/dev/app:1.0`;
    await run('m1', `docker tag e2e/one ${other}`);
    expect((await push(other)).code).toBe(0);
    await run('m1', `docker tag e2e/two ${other}`);
    expect((await push(other)).code).toBe(0);
    expect(await digestOf('dev/app', '1.0')).not.toBe(await digestOf('release/app', '1.0'));
    // And what was pushed pulls back through the gate.
    await run('m1', `docker image rm ${next} >/dev/null && docker pull ${next} >/dev/null`);
  });

  it('gives the port back to Distribution when the list is emptied: the tag can move again', async () => {
    const result = await installWith([]);
    expect(result.changes.map((c) => c.description)).toContainEqual(
      expect.stringContaining('remove the registry gate'),
    );
    expect(await publishedPorts()).toContain(`"PublishedPort":${PORT}`);
    expect(
      (await sandbox.exec('r1', 'test -e /etc/systemd/system/eectl-registry-gate.service')).code,
    ).not.toBe(0);
    const one = `${registry()}/release/app:1.0`;
    await run('m1', `docker tag e2e/two ${one}`);
    expect((await push(one)).code).toBe(0);
  });
});
