import { describe, expect, it } from 'vitest';
import { hooksSchema, type HookSpec } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { hookCommand, hookEnv, hooksFor } from '../../../src/lib/hooks/plan.js';
import { runHookStage, type HookStageRun } from '../../../src/lib/hooks/run.js';
import { quoteCommand } from '../../../src/lib/ssh/quote.js';
import type { HookRun } from '../../../src/lib/hooks/report.js';
import { renderHooks } from '../../../src/lib/ui/hooks-render.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';

const M1 = { address: '10.0.0.11', role: 'manager' as const };
const W1 = { address: '10.0.0.21', role: 'worker' as const };
const W2 = { address: '10.0.0.22', role: 'worker' as const };

/** A script with everything a shell could misread if eectl put it anywhere but one argument. */
const TRICKY = `echo "it's $EECTL_HOST" \`id -u\` ; x='a b' && printf '%s\\n' "$x" > /tmp/o\nexit 0 # ;'"`;

const hooks = hooksSchema.parse({
  install: {
    before: [
      { name: 'everywhere', run: 'echo 1' },
      { name: 'workers', run: 'echo 2', roles: ['worker'] },
      { name: 'w2 only', run: 'echo 3', hosts: ['10.0.0.22'] },
      { name: 'manager w2', run: 'echo 4', roles: ['manager'], hosts: ['10.0.0.22'] },
      { run: TRICKY, roles: ['manager'] },
    ],
  },
  upgrade: { beforeTurn: [{ run: 'echo turn' }] },
});

const names = (list: ReturnType<typeof hooksFor>) => list.map((h) => h.spec.name ?? h.id);

describe('which hooks run on a host', () => {
  it('chooses by role, by host, and by both (a host must match both), in the order of the file', () => {
    expect(names(hooksFor(hooks, 'install', 'before', M1))).toEqual([
      'everywhere',
      'spec.hooks.install.before[4]',
    ]);
    expect(names(hooksFor(hooks, 'install', 'before', W1))).toEqual(['everywhere', 'workers']);
    expect(names(hooksFor(hooks, 'install', 'before', W2))).toEqual(['everywhere', 'workers', 'w2 only']);
  });

  it('names each hook by where it is in the file, and keeps actions and stages apart', () => {
    expect(hooksFor(hooks, 'install', 'before', W2).map((h) => h.id)).toEqual([
      'spec.hooks.install.before[0]',
      'spec.hooks.install.before[1]',
      'spec.hooks.install.before[2]',
    ]);
    expect(hooksFor(hooks, 'install', 'after', W1)).toEqual([]);
    expect(hooksFor(hooks, 'install', 'beforeTurn', W1)).toEqual([]);
    expect(names(hooksFor(hooks, 'upgrade', 'beforeTurn', W1))).toEqual(['spec.hooks.upgrade.beforeTurn[0]']);
  });
});

describe('how a hook runs', () => {
  const [, , , , tricky] = hooks.install.before.map((spec, i) => ({
    id: `spec.hooks.install.before[${i}]`,
    action: 'install' as const,
    stage: 'before' as const,
    spec,
  }));

  it('gets the host and the stage as environment variables; the script is one argument, exactly as written', () => {
    const env = hookEnv(tricky!, { cluster: 'prod', host: M1, hostname: 'm1' });
    expect(env).toEqual({
      EECTL_CLUSTER: 'prod',
      EECTL_ACTION: 'install',
      EECTL_STAGE: 'before',
      EECTL_HOST: '10.0.0.11',
      EECTL_ROLE: 'manager',
      EECTL_HOSTNAME: 'm1',
      EECTL_HOOK: 'spec.hooks.install.before[4]',
    });
    const argv = hookCommand(tricky!, env);
    expect(argv).toEqual([
      'env',
      'EECTL_CLUSTER=prod',
      'EECTL_ACTION=install',
      'EECTL_STAGE=before',
      'EECTL_HOST=10.0.0.11',
      'EECTL_ROLE=manager',
      'EECTL_HOSTNAME=m1',
      'EECTL_HOOK=spec.hooks.install.before[4]',
      'sh',
      '-c',
      TRICKY,
      'eectl-hook',
    ]);
    // No value of eectl's is in the script, and the script is not split or touched by the quoting.
    expect(argv.filter((a) => a.includes('10.0.0.11'))).toEqual(['EECTL_HOST=10.0.0.11']);
    expect(quoteCommand(argv)).toContain(`'${TRICKY.replace(/'/g, `'\\''`)}'`);
  });

  it('leaves EECTL_HOSTNAME out when the host name is not known, and names an unnamed hook by its path', () => {
    const env = hookEnv(tricky!, { cluster: 'prod', host: W1 });
    expect(Object.keys(env)).not.toContain('EECTL_HOSTNAME');
    expect(env.EECTL_HOOK).toBe('spec.hooks.install.before[4]');
  });
});

/** Scripted hosts that answer every hook with `code`, and the stage run over them. */
function stage(
  specs: Partial<Record<'before' | 'after', Partial<HookSpec>[]>>,
  overrides: Partial<HookStageRun> & { codes?: Record<string, number> } = {},
) {
  const conns = new Map<string, ScriptedConnection>();
  const hosts = [M1, W1, W2].map((spec) => {
    const conn = new ScriptedConnection(spec.address, [
      {
        match: (argv) => argv[0] === 'env',
        answer: (argv) => ({ code: overrides.codes?.[`${spec.address} ${argv.at(-2)}`] ?? 0 }),
      },
    ]);
    conns.set(spec.address, conn);
    return new Host({ ...spec, ssh: {}, localhost: false, labels: {} }, conn);
  });
  const runs: HookRun[] = [];
  const run: HookStageRun = {
    hosts,
    hooks: hooksSchema.parse({ reset: specs }),
    action: 'reset',
    stage: 'before',
    cluster: 'prod',
    dryRun: false,
    concurrency: 4,
    report: () => undefined,
    runs,
    ...overrides,
  };
  const scripts = (address: string) => conns.get(address)!.commands.map((argv) => argv.at(-2));
  return { run, runs, scripts, conns };
}

describe('a stage of hooks over the hosts', () => {
  const three = [{ run: 'echo a' }, { run: 'echo b', roles: ['worker' as const] }, { run: 'echo c' }];

  it('runs each host’s hooks in the file’s order, as root, with the hook’s timeout, and records how each ended', async () => {
    const { run, runs, scripts, conns } = stage({ before: three });
    await runHookStage(run);
    expect(scripts('10.0.0.11')).toEqual(['echo a', 'echo c']);
    expect(scripts('10.0.0.21')).toEqual(['echo a', 'echo b', 'echo c']);
    expect(conns.get('10.0.0.21')!.options.map((o) => [o.sudo, o.timeoutMs, o.check])).toEqual([
      [true, 300_000, false],
      [true, 300_000, false],
      [true, 300_000, false],
    ]);
    expect(runs).toHaveLength(8);
    expect(runs.every((r) => r.ran && r.exitCode === 0 && typeof r.seconds === 'number')).toBe(true);
    expect(runs.filter((r) => r.host === '10.0.0.21').map((r) => r.hook)).toEqual([
      'spec.hooks.reset.before[0]',
      'spec.hooks.reset.before[1]',
      'spec.hooks.reset.before[2]',
    ]);
  });

  it('under --dry-run lists every hook on every host and runs none', async () => {
    const { run, runs, conns } = stage({ before: three }, { dryRun: true });
    await runHookStage(run);
    expect([...conns.values()].flatMap((c) => c.commands)).toEqual([]);
    expect(runs.map((r) => `${r.host} ${r.hook} ${r.ran}`)).toEqual([
      '10.0.0.11 spec.hooks.reset.before[0] false',
      '10.0.0.11 spec.hooks.reset.before[2] false',
      '10.0.0.21 spec.hooks.reset.before[0] false',
      '10.0.0.21 spec.hooks.reset.before[1] false',
      '10.0.0.21 spec.hooks.reset.before[2] false',
      '10.0.0.22 spec.hooks.reset.before[0] false',
      '10.0.0.22 spec.hooks.reset.before[1] false',
      '10.0.0.22 spec.hooks.reset.before[2] false',
    ]);
    expect(renderHooks(runs)).toEqual([
      'Hooks that would run (not run under --dry-run):',
      '  spec.hooks.reset.before[0]: 10.0.0.11, 10.0.0.21, 10.0.0.22',
      '  spec.hooks.reset.before[2]: 10.0.0.11, 10.0.0.21, 10.0.0.22',
      '  spec.hooks.reset.before[1]: 10.0.0.21, 10.0.0.22',
    ]);
  });

  it('a failing before hook: that host’s later hooks do not run, the error names the hook, host and exit code (exit 3)', async () => {
    const named = [
      { run: 'echo a' },
      { name: 'check disk', run: 'echo b', roles: ['worker' as const] },
      { run: 'echo c' },
    ];
    const { run, runs, scripts } = stage({ before: named }, { codes: { '10.0.0.21 echo b': 7 } });
    const error = await runHookStage(run).then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );
    expect(error?.code).toBe('EHOOK');
    expect(error?.exitCode).toBe(ExitCode.preflight);
    expect(error?.host).toBe('10.0.0.21');
    expect(error?.message).toBe('10.0.0.21: hook spec.hooks.reset.before[1] (check disk) exited 7');
    expect(error?.suggestions[0]).toMatch(/eectl changed nothing on the hosts/);
    expect(scripts('10.0.0.21')).toEqual(['echo a', 'echo b']);
    // The other hosts are not stopped half-way: each ran its own hooks.
    expect(scripts('10.0.0.22')).toEqual(['echo a', 'echo b', 'echo c']);
    expect(runs.find((r) => r.host === '10.0.0.21' && r.exitCode === 7)?.hook).toBe(
      'spec.hooks.reset.before[1]',
    );
  });

  it('failing on two hosts names both; an after hook that fails is a failure (exit 1), not "nothing changed"', async () => {
    const { run } = stage(
      { after: [{ run: 'echo z' }] },
      { stage: 'after', codes: { '10.0.0.11 echo z': 1, '10.0.0.22 echo z': 2 } },
    );
    const error = await runHookStage(run).then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );
    expect(error?.exitCode).toBe(ExitCode.failure);
    expect(error?.message).toBe(
      [
        'hooks failed on 2 of 3 hosts:',
        '  10.0.0.11: hook spec.hooks.reset.after[0] exited 1',
        '  10.0.0.22: hook spec.hooks.reset.after[0] exited 2',
      ].join('\n'),
    );
  });
});
