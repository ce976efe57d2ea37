import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { leakForms, readDump } from '../helpers/support-dump.js';
import { useSandbox } from './helpers/sandbox.js';

const CI_PASSWORD_ENV = 'E2E_HARDENING_CI_PASSWORD';
const CI_PASSWORD = 'hardening-ci-Passw0rd-7f3a9c';
/** Where each host's sampler of /proc/PID/cmdline writes every argument it saw (tmpfs, not under test). */
const SAMPLES = '/run/eectl-e2e-cmdlines';
const SAMPLER_PID = '/run/eectl-e2e-sampler.pid';
/** A file a successful injection would create; it must exist on no host. */
const PWNED = '/tmp/eectl-e2e-pwned';
/** Compared before and after the hostile runs: nothing under these may be created or changed. */
const WATCHED = '/etc /var/lib /tmp /root /home /usr /opt /srv';
const MARKER = '/run/eectl-e2e-marker';

interface InstallJson {
  converged: boolean;
  registry?: { replicas: { healthy: boolean }[]; adminPassword?: string };
}

/**
 * Hostile values, one per field, with shell syntax, line breaks or `..`. Edits of one group go into one
 * file (each CLI run is slow on a loaded machine): `schema` ones are reported together; relations (the
 * ports) and local files are checked only once the fields are valid, so they get files of their own.
 */
function hostileEdits(): { group: string; path: (string | number)[]; value: unknown }[] {
  const inject = `; touch ${PWNED}; #`;
  return [
    { group: 'schema', path: ['spec', 'hosts', 1, 'address'], value: `10.0.0.2${inject}` },
    { group: 'schema', path: ['spec', 'hosts', 3, 'address'], value: '10.0.0.3\ntouch' },
    { group: 'schema', path: ['spec', 'hosts', 0, 'privateAddress'], value: `10.0.0.11/1${inject}` },
    { group: 'schema', path: ['spec', 'hosts', 2, 'ssh', 'user'], value: `eectl$(touch ${PWNED})` },
    {
      group: 'schema',
      path: ['spec', 'hosts', 2, 'ssh', 'bastion'],
      value: { address: `jump${inject}`, user: 'eectl' },
    },
    {
      group: 'schema',
      path: ['spec', 'hosts', 2, 'labels'],
      value: { 'a=b': 'x', 'eectl.role': 'x', zone: 'a\nb' },
    },
    { group: 'schema', path: ['spec', 'engine', 'version'], value: `20.10${inject}` },
    {
      group: 'schema',
      path: ['spec', 'engine', 'repoUrl'],
      value: 'http://10.0.0.1/debian ./\ndeb [trusted=yes] http://10.0.0.9/evil ./',
    },
    { group: 'schema', path: ['spec', 'swarm', 'defaultAddrPool'], value: [`10.20.0.0/16${inject}`] },
    { group: 'schema', path: ['spec', 'controlPlane', 'san'], value: [`$(touch ${PWNED})`] },
    { group: 'schema', path: ['spec', 'registry', 'image'], value: `registry:2${inject}` },
    { group: 'schema', path: ['spec', 'registry', 'externalUrl'], value: `https://reg${inject}` },
    {
      group: 'schema',
      path: ['spec', 'registry', 'storage', 'filesystem', 'path'],
      value: '/var/lib/eectl/../../../etc',
    },
    {
      group: 'schema',
      path: ['spec', 'registry', 'auth', 'htpasswd', 'users', 0, 'name'],
      value: 'ci:x\nroot',
    },
    {
      group: 'schema',
      path: ['spec', 'registry', 'auth', 'htpasswd', 'users', 0, 'passwordEnv'],
      value: `X${inject}`,
    },
    { group: 'schema', path: ['spec', 'images', 'bundles'], value: ['../../no/such\n.tar'] },
    { group: 'schema', path: ['metadata', 'name'], value: '../../etc' },
    {
      group: 'schema-2',
      path: ['spec', 'registry', 'storage', 'filesystem', 'path'],
      value: '/srv/registry,readonly',
    },
    { group: 'schema-2', path: ['spec', 'hosts', 1, 'address'], value: '../../etc' },
    { group: 'ports', path: ['spec', 'controlPlane', 'apiPort'], value: 2377 },
    { group: 'ports', path: ['spec', 'registry', 'port'], value: 7946 },
    { group: 'files', path: ['spec', 'hosts', 2, 'ssh', 'keyPath'], value: '../../../../no/such/key' },
  ];
}

/** `['spec', 'hosts', 1, 'address']` → `spec.hosts[1].address`, as problems name their field. */
const fieldName = (path: (string | number)[]): string =>
  path
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
    .join('')
    .slice(1);

/** Every form a secret is searched for: itself, its lines, its base64 (as a value and as a file's content). */
function searchForms(secret: string): string[] {
  const forms = new Set([secret]);
  for (const line of secret.split('\n')) {
    if (line.length >= 16 && !line.startsWith('-----')) forms.add(line.trim());
  }
  for (const text of [secret, `${secret}\n`]) {
    const b64 = Buffer.from(text).toString('base64');
    forms.add(b64);
    forms.add(b64.replace(/=+$/, ''));
    forms.add(Buffer.from(text).toString('base64url'));
  }
  return [...forms].filter((f) => f.length >= 8);
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('hardening: hostile cluster files change nothing; no secret in any log or argv', () => {
  const sandbox = useSandbox({ name: 'hardening', managers: 2, workers: 1, registries: 1 });
  /** What the install test learnt, for the support dump's: the file, the secrets, the public certificates. */
  let installed: { file: string; secrets: Record<string, string>; certificates: string } | undefined;

  /** The cluster file with registry users (one from the environment; admin's password generated). */
  const withUsers = async (): Promise<string> => {
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'registry', 'auth'], {
      htpasswd: { users: [{ name: 'ci', passwordEnv: CI_PASSWORD_ENV }] },
    });
    const file = sandbox.clusterFile.replace(/\.yaml$/, '-users.yaml');
    await writeFile(file, doc.toString(), { mode: 0o600 });
    return file;
  };

  it('refuses a hostile value in each field with exit 2 and file:line:col, and leaves every host untouched', async () => {
    const base = await withUsers();
    for (const h of sandbox.hosts) await sandbox.exec(h, `touch ${MARKER}`, { check: true });
    // The marker's mtime is the line: a file made or changed after it is a change to the host.
    await new Promise((r) => setTimeout(r, 1100));
    const edits = hostileEdits();
    const groups = [...new Set(edits.map((e) => e.group))];
    const results = await Promise.all(
      groups.map(async (group) => {
        const doc = parseDocument(await readFile(base, 'utf8'));
        for (const edit of edits.filter((e) => e.group === group)) doc.setIn(edit.path, edit.value);
        const file = base.replace(/\.yaml$/, `-hostile-${group}.yaml`);
        await writeFile(file, doc.toString(), { mode: 0o600 });
        const r = await runEectl(['install', '-c', file, '--json'], {
          env: { [CI_PASSWORD_ENV]: CI_PASSWORD },
          timeoutMs: 600_000,
        });
        return { group, file, r };
      }),
    );
    for (const { group, file, r } of results) {
      expect(r.code, `${group}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.json?.error?.code, group).toBe('ECONFIG');
      const lines = r.json?.error?.message.split('\n') ?? [];
      // Each hostile field has its own problem, placed at its line and column in the file.
      for (const edit of edits.filter((e) => e.group === group)) {
        const at = `${file}:`;
        const line = lines.find(
          (l) => l.startsWith(at) && / \S+: /.test(l) && l.includes(`: ${fieldName(edit.path)}`),
        );
        expect(line, `${fieldName(edit.path)} in ${lines.join('\n')}`).toMatch(/^\S+:\d+:\d+: /);
      }
    }
    for (const h of sandbox.hosts) {
      const changed = await sandbox.exec(
        h,
        `find ${WATCHED} -xdev -newer ${MARKER} 2>/dev/null | grep -v '^/var/lib/systemd/' ; ls ${PWNED} 2>/dev/null; true`,
        { check: true },
      );
      expect(changed.stdout.trim(), `${h.hostname} changed`).toBe('');
      const docker = await sandbox.exec(h, 'command -v docker || echo none', { check: true });
      expect(docker.stdout.trim(), `${h.hostname} has no engine`).toBe('none');
    }
  });

  // Two installs of four hosts: minutes on an idle machine, far more when the machine's cores are shared.
  it(
    'installs with registry users, and no secret is in any run log or in any argv sampled during the joins',
    { timeout: 1_800_000 },
    async () => {
      const file = await withUsers();
      // Every 100 ms, each argument of every process on each host, each distinct one kept once.
      const sampler = [
        `cat > /run/eectl-e2e-sampler <<'EOF'`,
        'while :; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n"; sleep 0.1; done | awk \'!seen[$0]++ { print; fflush() }\'',
        'EOF',
        `setsid bash /run/eectl-e2e-sampler > ${SAMPLES} 2>/dev/null < /dev/null & echo $! > ${SAMPLER_PID}`,
      ].join('\n');
      for (const h of sandbox.hosts) await sandbox.exec(h, sampler, { check: true });

      const first = await runEectl(['install', '-c', file, '--json'], {
        env: { [CI_PASSWORD_ENV]: CI_PASSWORD },
        timeoutMs: 1_200_000,
      });
      expect(first.code, `${first.stderr}\n${first.stdout.slice(0, 3000)}`).toBe(0);
      const result = first.json?.result as InstallJson;
      expect(result.registry?.replicas.every((r) => r.healthy)).toBe(true);
      const adminPassword = result.registry?.adminPassword ?? '';
      expect(adminPassword.length).toBeGreaterThanOrEqual(20);
      for (const h of sandbox.hosts) {
        await sandbox.exec(h, `pkill -s "$(cat ${SAMPLER_PID})"; true`);
      }
      // The second run reads the registry's state (keys, passwords) back from the managers.
      const second = await runEectl(['install', '-c', file, '--json'], {
        env: { [CI_PASSWORD_ENV]: CI_PASSWORD },
        timeoutMs: 600_000,
      });
      expect(second.code, second.stderr).toBe(0);
      expect((second.json?.result as InstallJson).converged).toBe(true);

      const read = async (path: string): Promise<string> =>
        (await sandbox.exec('m1', `cat ${path}`, { check: true })).stdout;
      // Where the CA's key lives may change (a supplied CA's key stays off the hosts): search it when there.
      const caKey = (await sandbox.exec('m1', 'cat /etc/eectl/pki/ca-key.pem 2>/dev/null; true')).stdout;
      const secrets: Record<string, string> = {
        'worker join token': (
          await sandbox.exec('m1', 'docker swarm join-token -q worker', { check: true })
        ).stdout.trim(),
        'manager join token': (
          await sandbox.exec('m1', 'docker swarm join-token -q manager', { check: true })
        ).stdout.trim(),
        'registry user password': CI_PASSWORD,
        'generated admin password': adminPassword,
        'http.secret': (await read('/etc/eectl/registry/http-secret')).trim(),
        'registry TLS key': await read('/etc/eectl/registry/server-key.pem'),
        htpasswd: await read('/etc/eectl/registry/htpasswd'),
        'API TLS key': await read('/etc/eectl/pki/server-key.pem'),
        ...(caKey ? { 'CA key': caKey } : {}),
      };
      for (const [what, value] of Object.entries(secrets))
        expect(value.length, what).toBeGreaterThanOrEqual(8);

      const home = process.env.EECTL_HOME ?? '';
      const logs = [
        ...filesUnder(join(home, sandbox.name, 'logs')),
        ...filesUnder(join(home, 'sandboxes', sandbox.name, 'logs')),
        ...filesUnder(join(tmpdir(), 'eectl-e2e-logs')).filter((f) => f.includes(sandbox.name)),
      ];
      // Two installs (each one log) at least, and they are full debug logs with the commands in them.
      const runLogs = logs.filter((f) => f.includes(join(home, sandbox.name, 'logs')));
      expect(runLogs.length).toBeGreaterThanOrEqual(2);
      expect(runLogs.map((f) => readFileSync(f, 'utf8')).join('')).toContain('eectl-registry-state');
      const texts = [
        ...logs.map((f) => ({ where: f, text: readFileSync(f, 'utf8') })),
        ...(await Promise.all(
          sandbox.hosts.map(async (h) => ({
            where: `${h.hostname}:/proc/*/cmdline`,
            text: (await sandbox.exec(h, `cat ${SAMPLES}`, { check: true })).stdout,
          })),
        )),
      ];
      // The samplers saw the joins: each joining host ran the API call while they watched.
      for (const h of ['m2', 'w1', 'r1']) {
        expect(texts.find((t) => t.where.startsWith(`${h}:`))?.text, h).toContain(
          'http://localhost/swarm/join',
        );
      }
      // An EC key's PEM ends with its public key, which the certificate (public, logged with the facts)
      // holds verbatim: a form that is in a certificate is not secret.
      const certificates = (
        await Promise.all(
          [
            '/etc/eectl/registry/server-cert.pem',
            '/etc/eectl/pki/server-cert.pem',
            '/etc/eectl/pki/ca.pem',
          ].map(read),
        )
      )
        .join('')
        .replace(/\n/g, '');
      const hits: string[] = [];
      for (const [what, value] of Object.entries(secrets)) {
        for (const form of searchForms(value).filter((f) => !certificates.includes(f))) {
          for (const { where, text } of texts) {
            if (text.includes(form)) hits.push(`${what} (${form.slice(0, 12)}…) in ${where}`);
          }
        }
      }
      expect(hits).toEqual([]);
      installed = { file, secrets, certificates };
    },
  );

  it('support dump: every host, the swarm and the status are in it, and none of the secrets', async () => {
    if (!installed) throw new Error('the install test did not get to its end');
    const { file, secrets, certificates } = installed;
    const out = join(mkdtempSync(join(tmpdir(), 'eectl-e2e-dump-')), 'dump.tar.gz');
    const r = await runEectl(['support', 'dump', '-c', file, '-o', out, '--json', '--host-timeout', '120'], {
      env: { [CI_PASSWORD_ENV]: CI_PASSWORD },
      timeoutMs: 300_000,
    });
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(0);
    const result = r.json?.result as { warnings: string[]; hosts: { host: string; collected: boolean }[] };
    expect(result.warnings).toEqual([]);
    expect(result.hosts.every((h) => h.collected)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // An ordinary .tar.gz, one folder.
    const listed = await execa('tar', ['-tzf', out]);
    expect(new Set(listed.stdout.split('\n').map((l) => l.split('/')[0])).size).toBe(1);

    const entries = await readDump(out);
    const text = (name: string): string => [...entries].find(([n]) => n.endsWith(`/${name}`))?.[1].text ?? '';
    for (const h of sandbox.hosts) {
      const dir = `hosts/${h.address}`;
      expect(JSON.parse(text(`${dir}/facts.json`)), h.hostname).toMatchObject({ hostname: h.hostname });
      expect(JSON.parse(text(`${dir}/docker-info.json`)), h.hostname).toMatchObject({
        Swarm: { LocalNodeState: 'active' },
      });
      // The host's own daemon.json, as it is there (or that it has none).
      const daemon = await sandbox.exec(
        h,
        'cat /etc/docker/daemon.json 2>/dev/null || echo "(no /etc/docker/daemon.json on this host)"',
      );
      expect(text(`${dir}/daemon.json`).trim(), h.hostname).toBe(daemon.stdout.trim());
      expect(text(`${dir}/journal-docker.service.txt`), h.hostname).toMatch(/dockerd/);
      expect(text(`${dir}/ERROR.txt`), h.hostname).toBe('');
    }
    const nodes = JSON.parse(text('swarm/nodes.json')) as { Description: { Hostname: string } }[];
    expect(nodes.map((n) => n.Description.Hostname).sort()).toEqual(
      sandbox.hosts.map((h) => h.hostname).sort(),
    );
    expect((JSON.parse(text('swarm/services.json')) as unknown[]).length).toBeGreaterThan(0);
    expect((JSON.parse(text('swarm/tasks.json')) as unknown[]).length).toBeGreaterThan(0);
    expect(text('swarm/task-errors.txt')).not.toBe('');
    // What `eectl status --json` says of the cluster now.
    const status = await runEectl(['status', '-c', file, '--json'], { timeoutMs: 300_000 });
    const health = (status.json?.result as { health?: string } | undefined)?.health;
    expect(health, status.stderr).toBeDefined();
    expect(JSON.parse(text('status.json'))).toMatchObject({ status: status.code, result: { health } });
    expect([...entries.keys()].some((n) => n.includes('/eectl-logs/'))).toBe(true);

    // The secrets, raw or base64 (at every offset), in no file of the dump, nor in the dump's own run log.
    const dumpLog = filesUnder(join(process.env.EECTL_HOME ?? '', sandbox.name, 'logs'))
      .filter((f) => f.endsWith('-support-dump.log'))
      .sort()
      .at(-1);
    expect(dumpLog, 'the dump run log').toBeDefined();
    const texts = [
      ...[...entries].map(([where, e]) => ({ where, text: e.text })),
      ...(dumpLog ? [{ where: dumpLog, text: readFileSync(dumpLog, 'utf8') }] : []),
    ];
    const hits: string[] = [];
    for (const [what, value] of Object.entries(secrets)) {
      const forms = new Set([...searchForms(value), ...leakForms(value)]);
      for (const form of [...forms].filter((f) => !certificates.includes(f))) {
        for (const { where, text: t } of texts) if (t.includes(form)) hits.push(`${what} in ${where}`);
      }
    }
    expect([...new Set(hits)]).toEqual([]);
  });
});
