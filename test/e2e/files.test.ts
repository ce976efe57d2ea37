import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  converged: boolean;
  changes: { host: string; description: string; applied: boolean }[];
  rolling?: { order: { host: string; reasons: string[] }[] };
}

const SITE = '/etc/site/site.conf';
const CA = '/etc/docker/certs.d/registry.example.test:5000/ca.crt';

/**
 * `files:` on one manager and one worker: uploaded with mode and owner after the engine's package, idempotent
 * by checksum, a change uploaded again, and a change to a file that restarts the engine taken through a
 * rolling turn on the running cluster (one restart per host, the node Ready again).
 */
describe('files: uploads from the cluster file, idempotent by checksum, engine restarts in rolling turns', () => {
  const sandbox = useSandbox({ name: 'e2e-files', managers: 1, workers: 1 });
  let work = '';
  let clusterFile = '';
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  const install = async (...extra: string[]): Promise<InstallJson> => {
    const r = await runEectl(['install', '-c', clusterFile, '--json', ...extra]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return r.json?.result as InstallJson;
  };
  /** `sha256 mode user group` of a file on a host, or `missing`. */
  const onHost = async (host: string, path: string) =>
    (
      await sandbox.exec(
        host,
        'if [ -f "$1" ]; then printf "%s %s\\n" "$(sha256sum < "$1" | cut -d" " -f1)" "$(stat -c "%a %U %G" "$1")"; else echo missing; fi',
        { args: [path] },
      )
    ).stdout.trim();
  const engineInvocation = async (host: string) =>
    (await sandbox.exec(host, 'systemctl show -p InvocationID --value docker')).stdout.trim();
  const uploads = (result: InstallJson) =>
    result.changes.filter((c) => c.description.startsWith('upload ')).map((c) => c.description);

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-files-'));
    mkdirSync(join(work, 'files'));
    writeFileSync(join(work, 'files', 'site.conf'), 'color = blue\n');
    writeFileSync(join(work, 'files', 'ca.crt'), 'first CA\n');
    const file = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: Record<string, unknown> };
    // Sources relative to the cluster file, as a user writes them.
    file.spec.files = [
      { source: 'files/site.conf', destination: SITE, mode: '0640', owner: 'root:docker' },
      { source: 'files/ca.crt', destination: CA, restart: 'docker' },
    ];
    clusterFile = join(work, 'cluster.yaml');
    writeFileSync(clusterFile, stringify(file));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('install uploads the files with their mode and owner; a second run reports no change', async () => {
    const first = await install();
    for (const h of sandbox.hosts) {
      expect(await onHost(h.hostname, SITE)).toBe(`${sha('color = blue\n')} 640 root docker`);
      expect(await onHost(h.hostname, CA)).toBe(`${sha('first CA\n')} 644 root root`);
      expect(first.changes.filter((c) => c.host === h.address).map((c) => c.description)).toEqual(
        expect.arrayContaining([
          `upload ${SITE} (new; mode 0640, owner root:docker) from site.conf`,
          `upload ${CA} (new; mode 0644, owner root:root) from ca.crt`,
        ]),
      );
    }
    const again = await install();
    expect(again.changes).toEqual([]);
    expect(again.converged).toBe(true);
  });

  it('a changed file is uploaded again on every host, without an engine restart; then nothing changes', async () => {
    writeFileSync(join(work, 'files', 'site.conf'), 'color = green\n');
    const before = await Promise.all(sandbox.hosts.map((h) => engineInvocation(h.hostname)));
    const changed = await install();
    expect(uploads(changed)).toEqual([
      `upload ${SITE} (changed; mode 0640, owner root:docker) from site.conf`,
      `upload ${SITE} (changed; mode 0640, owner root:docker) from site.conf`,
    ]);
    expect(changed.changes.filter((c) => /restart|drain/.test(c.description))).toEqual([]);
    for (const h of sandbox.hosts) {
      expect(await onHost(h.hostname, SITE)).toBe(`${sha('color = green\n')} 640 root docker`);
    }
    expect(await Promise.all(sandbox.hosts.map((h) => engineInvocation(h.hostname)))).toEqual(before);
    // A mode changed on the host behind eectl's back is put back, without a restart either.
    await sandbox.exec('w1', 'chmod 0666 "$1"', { args: [SITE] });
    const mode = await install();
    expect(mode.changes.map((c) => [c.host, c.description])).toEqual([
      [
        sandbox.host('w1').address,
        `upload ${SITE} (same content, new mode; mode 0640, owner root:docker) from site.conf`,
      ],
    ]);
    expect((await install()).converged).toBe(true);
  });

  it('a file that restarts the engine, changed on the running cluster: listed by the dry run, then one rolling turn per host', async () => {
    writeFileSync(join(work, 'files', 'ca.crt'), 'second CA\n');
    const before = new Map(
      await Promise.all(
        sandbox.hosts.map(async (h) => [h.hostname, await engineInvocation(h.hostname)] as const),
      ),
    );

    const preview = await install('--dry-run');
    expect(uploads(preview)).toEqual([
      `upload ${CA} (changed; mode 0644, owner root:root) from ca.crt in its turn of the rolling change`,
      `upload ${CA} (changed; mode 0644, owner root:root) from ca.crt in its turn of the rolling change`,
    ]);
    expect(preview.rolling?.order.map((t) => [t.host, t.reasons])).toEqual(
      sandbox.hosts.map((h) => [h.address, [`files changed: ${CA}`]]),
    );
    for (const h of sandbox.hosts)
      expect(await onHost(h.hostname, CA)).toBe(`${sha('first CA\n')} 644 root root`);

    const rolled = await install();
    for (const h of sandbox.hosts) {
      const mine = rolled.changes.filter((c) => c.host === h.address).map((c) => c.description);
      expect(mine).toContain(`upload ${CA} (changed; mode 0644, owner root:root) from ca.crt`);
      // The engine restarted once, in its turn: written after the restart marker, restarted after the write.
      expect(mine.filter((d) => d === 'restart docker')).toHaveLength(1);
      expect(mine.indexOf('mark the engine for a restart')).toBeLessThan(
        mine.indexOf(mine.find((d) => d.startsWith(`upload ${CA}`))!),
      );
      expect(mine.findIndex((d) => d.startsWith(`upload ${CA}`))).toBeLessThan(
        mine.indexOf('restart docker'),
      );
      expect(await onHost(h.hostname, CA)).toBe(`${sha('second CA\n')} 644 root root`);
      expect(await engineInvocation(h.hostname)).not.toBe(before.get(h.hostname));
      expect(await onHost(h.hostname, '/etc/eectl/pki/engine-restart-pending')).toBe('missing');
    }
    const nodes = await sandbox.exec(
      'm1',
      "docker node ls --format '{{.Hostname}} {{.Status}} {{.Availability}}'",
    );
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(['m1 Ready Active', 'w1 Ready Active']);
    expect((await install()).converged).toBe(true);
  });

  it("a destination whose directory is a link into eectl's places on the host is refused before any change (exit 3)", async () => {
    await sandbox.exec('w1', 'ln -sfn /etc/eectl /etc/site-link');
    const file = parse(readFileSync(clusterFile, 'utf8')) as { spec: { files: unknown[] } };
    file.spec.files.push({ source: 'files/site.conf', destination: '/etc/site-link/site.conf' });
    const linked = join(work, 'linked.yaml');
    writeFileSync(linked, stringify(file));
    const r = await runEectl(['install', '-c', linked, '--json']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.json?.error?.message).toContain(
      "/etc/site-link/site.conf (spec.files[2]) resolves to /etc/eectl/site.conf on the host: refused, it is one of eectl's own files",
    );
    expect(await onHost('w1', '/etc/eectl/site.conf')).toBe('missing');
    expect(await onHost('m1', '/etc/site-link/site.conf')).toBe('missing');
  });
});
