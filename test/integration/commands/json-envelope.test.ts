import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { validate, type Schema } from '../../helpers/json-schema.js';
import { mapAll } from '../../../src/lib/util/concurrency.js';
import { Scratch } from '../ssh/fixtures.js';
import { TESTED_ENGINES } from '../../../src/lib/tested.js';

const root = new URL('../../../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schema/output.schema.json', root), 'utf8')) as Schema;
const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8')) as {
  commands: Record<string, { flags: Record<string, unknown> }>;
};

/** Commands that act without reading a cluster file: never run here with only a wrong -c to stop them. */
const CHANGES_WITHOUT_A_FILE = new Set(['init', 'sandbox:up', 'sandbox:down']);

interface Envelope {
  status: number;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; suggestions: string[] };
}

const dockerAnswers = (() => {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
})();

// Every command's --json output, success and failure, against schema/output.schema.json: the built CLI
// on a cluster file whose one host is this machine (localhost: true, so no SSH), and on files, flags and
// commands that are wrong. stdout must be exactly one document, and its status the exit code.
describe('the --json envelope of every command', () => {
  const scratch = new Scratch();
  const home = scratch.path('home');
  const env = { HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' };
  let local: string;
  let broken: string;
  const missing = scratch.path('missing.yaml');

  beforeAll(() => {
    mkdirSync(home, { recursive: true });
    local = scratch.file(
      'cluster.yaml',
      'apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: lab }\nspec:\n  hosts:\n    - { address: local, role: manager, localhost: true }\n',
    );
    broken = scratch.file(
      'broken.yaml',
      'apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: lab }\nspec:\n  hosts:\n    - { address: 10.0.0.1, role: boss }\n',
    );
  });
  afterAll(() => scratch.remove());

  /** Runs eectl with --json; the output must be one envelope the schema accepts, its status the exit code. */
  async function envelope(args: string[], extraEnv: Record<string, string> = {}): Promise<Envelope> {
    // Before `--`: after it, --json would be part of exec's remote command.
    const dashes = args.includes('--') ? args.indexOf('--') : args.length;
    const argv = [...args.slice(0, dashes), '--json', ...args.slice(dashes)];
    const r = await runEectl(argv, { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
    let json: Envelope;
    try {
      json = JSON.parse(r.stdout) as Envelope;
    } catch {
      throw new Error(
        `eectl ${args.join(' ')} --json: stdout is not one JSON document:\n${r.stdout}\n${r.stderr}`,
      );
    }
    expect(validate(schema, json), `eectl ${args.join(' ')} --json`).toEqual([]);
    expect(json.status, `eectl ${args.join(' ')}: status is the exit code`).toBe(r.code);
    return json;
  }

  describe('success', () => {
    it('version: eectl, Node and the engine versions the e2e tier runs', async () => {
      const r = await envelope(['version']);
      expect(r.result).toMatchObject({
        eectl: expect.stringMatching(/^\d+\.\d+\.\d+/),
        node: process.version,
        testedEngines: TESTED_ENGINES.map((e) => ({ version: e.version, package: e.package })),
      });
    });

    it('config validate', async () => {
      const r = await envelope(['config', 'validate', '-c', local]);
      expect(r.result).toMatchObject({ valid: true, errors: [] });
    });

    it('init', async () => {
      const out = scratch.path('new.yaml');
      const r = await envelope(['init', '--name', 'lab', '--manager', '10.0.0.11', '--out', out]);
      expect(r.result).toMatchObject({ path: out, hosts: 1 });
    });

    it('access check without a policy: allowed, access control is off', async () => {
      const r = await envelope([
        'access',
        'check',
        '-c',
        local,
        '--user',
        'dev',
        '--method',
        'GET',
        '--path',
        '/v1.41/info',
      ]);
      expect(r.result).toMatchObject({ allow: true, host: '' });
    });

    it('describe hosts: an object with hosts, the managed files by path and size only', async () => {
      const r = await envelope(['describe', 'hosts', '-c', local]);
      const hosts = r.result?.hosts as { ok: boolean; facts: Record<string, unknown> }[];
      expect(hosts).toHaveLength(1);
      expect(hosts[0]!.ok).toBe(true);
      expect(hosts[0]!.facts.files).toBeUndefined();
      expect(Array.isArray(hosts[0]!.facts.managedFiles)).toBe(true);
    });

    it('support dump of a host in no swarm: the archive, each host, and a warning, exit 0', async () => {
      const out = scratch.path('support.tar.gz');
      const r = await envelope(['support', 'dump', '-c', local, '-o', out]);
      expect(r.status, JSON.stringify(r.error)).toBe(0);
      expect(r.result).toMatchObject({
        cluster: 'lab',
        archive: out,
        hosts: [{ host: 'local', collected: true }],
        warnings: ['the swarm could not be read: no manager of the file is in the swarm and reachable'],
      });
    });

    it('exec: an object with every host’s outcome', async () => {
      const r = await envelope(['exec', '-c', local, '--', 'echo out']);
      expect(r.result).toEqual({ hosts: [{ host: 'local', code: 0, stdout: 'out\n', stderr: '' }] });
    });

    it.skipIf(!dockerAnswers)('sandbox ls', async () => {
      const r = await envelope(['sandbox', 'ls']);
      expect(Array.isArray(r.result?.sandboxes)).toBe(true);
    });
  });

  describe('failure', () => {
    it('exec with a failing host: status 1, error naming the host, and every host’s outcome', async () => {
      const r = await envelope(['exec', '-c', local, '--', 'echo out; exit 3']);
      expect(r.status).toBe(1);
      expect(r.error).toMatchObject({ code: 'EEXEC', message: expect.stringContaining('local: exited 3') });
      expect(r.result).toEqual({ hosts: [{ host: 'local', code: 3, stdout: 'out\n', stderr: '' }] });
    });

    it('config validate of a bad file: ECONFIG, the problems in result, no “lines above”', async () => {
      const r = await envelope(['config', 'validate', '-c', broken]);
      expect(r.status).toBe(2);
      expect(r.error?.code).toBe('ECONFIG');
      expect(r.error?.suggestions.join(' ')).not.toMatch(/above/);
      expect(r.result).toMatchObject({ valid: false });
    });

    it('describe hosts of a bad file', async () => {
      const r = await envelope(['describe', 'hosts', '-c', broken]);
      expect(r.error?.code).toBe('ECONFIG');
      expect(r.error?.message).toContain('spec.hosts[0].role');
    });

    it('status of a host that is no swarm: the report as result', async () => {
      const r = await envelope(['status', '-c', local]);
      expect(r.status).toBe(1);
      expect(r.result).toMatchObject({ cluster: 'lab' });
    });

    it('node ls without a swarm', async () => {
      const r = await envelope(['node', 'ls', '-c', local]);
      expect(r.status).toBe(3);
    });

    it('access check without --method: a usage error', async () => {
      const r = await envelope(['access', 'check', '-c', local, '--user', 'dev']);
      expect(r.error?.code).toBe('EUSAGE');
    });

    it('backup verify with nothing to trust', async () => {
      const r = await envelope(['backup', 'verify', scratch.path('x.tar.age'), '-c', missing]);
      expect(r.status).toBe(2);
    });

    it('sandbox ls without the docker program', async () => {
      const r = await envelope(['sandbox', 'ls'], { PATH: scratch.path('no-bin') });
      expect(r.error?.code).toBe('ENOTFOUND');
    });

    it('a command eectl does not have, and no command at all', async () => {
      const typo = await envelope(['instal']);
      expect(typo.error).toMatchObject({
        code: 'EUSAGE',
        suggestions: ['Did you mean eectl install?', 'eectl --help lists the commands.'],
      });
      expect((await envelope([])).error?.message).toBe('no command given');
    });

    // One failing run per command (the machine is shared: two at a time): a command that reads the cluster
    // file first is given one that does not exist; the others a flag they do not have (refused before
    // anything runs). Both paths of oclif's parsing and of BaseCommand.catch are then crossed by all.
    const ids = Object.keys(manifest.commands);
    it(`each of the ${ids.length} commands fails with an envelope`, async () => {
      expect(ids.length).toBeGreaterThan(25);
      await mapAll(ids, 2, async (id) => {
        const words = id.split(':');
        if ('config' in manifest.commands[id]!.flags && !CHANGES_WITHOUT_A_FILE.has(id)) {
          const r = await envelope([...words, '-c', missing]);
          expect(r.status, id).toBe(2);
          expect(r.error?.code, id).toMatch(/^(ECONFIG|EUSAGE|EBACKUP_SIGNATURE)$/);
        } else {
          const r = await envelope([...words, '--no-such-flag']);
          expect(r.error?.code, id).toBe('EUSAGE');
          expect(r.error?.message, id).toContain('--no-such-flag');
        }
      });
    }, 300_000);

    it('a flag the command does not have: the sandbox commands take no -c', async () => {
      const r = await envelope(['sandbox', 'ls', '-c', local]);
      expect(r.error).toMatchObject({ code: 'EUSAGE', message: expect.stringContaining('-c') });
    });
  });
});
