import type { HookAction, HooksSpec, HookStage } from '../config/schema.js';
import { CommandFailedError, EectlError, ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { HookRun } from './report.js';
import { mapSettled } from '../util/concurrency.js';
import { hookCommand, hookEnv, hookLabel, hooksFor, type PlannedHook } from './plan.js';

/** Lines of a failed hook's output its error shows (the whole output is in the run log). */
const TAIL_LINES = 10;

/** One stage of hooks over hosts: what runs it needs from the run. */
export interface HookStageRun {
  hosts: readonly Host[];
  hooks: HooksSpec;
  action: HookAction;
  stage: HookStage;
  cluster: string;
  /** Under --dry-run the hooks are listed (ran: false), not run. */
  dryRun: boolean;
  concurrency: number;
  signal?: AbortSignal;
  /** The one line of progress shown for a host (the hook and its last line of output). */
  report: (host: string, line: string) => void;
  /** Every hook run (or listed) is added here, in the order it finished. */
  runs: HookRun[];
}

/**
 * Runs one stage's hooks: hosts in parallel, each host's hooks one after the other in the file's order,
 * a host's later hooks not run once one failed there. Throws once every host is done when a hook failed,
 * naming each failure (hook, host, exit code, the last lines of its output).
 */
export async function runHookStage(run: HookStageRun): Promise<void> {
  const settled = await mapSettled(run.hosts, run.concurrency, async (host) => {
    for (const hook of hooksFor(run.hooks, run.action, run.stage, host.spec)) {
      if (run.dryRun) {
        host.log.info(`would run hook ${hookLabel(hook)}`);
        run.runs.push(listed(hook, host));
        continue;
      }
      const outcome = await runHook(host, hook, run);
      run.runs.push(outcome.run);
      if (outcome.error) throw outcome.error;
    }
  });
  const failures = settled.flatMap((s) => (s.ok ? [] : [toEectlError(s.error)]));
  if (failures.length === 0) return;
  if (failures.length === 1) throw failures[0]!;
  throw hostsFailedError(failures, {
    total: run.hosts.length,
    headline: (hosts) => `hooks failed on ${hosts}`,
    code: 'EHOOK',
    kind: 'external',
    exitCode: failures[0]!.exitCode,
  });
}

function listed(hook: PlannedHook, host: Host): HookRun {
  return {
    hook: hook.id,
    ...(hook.spec.name !== undefined && { name: hook.spec.name }),
    action: hook.action,
    stage: hook.stage,
    host: host.name,
    ran: false,
  };
}

/** Runs one hook on one host, as root unless it says `sudo: false`; its output goes to the run log only. */
export async function runHook(
  host: Host,
  hook: PlannedHook,
  run: Pick<HookStageRun, 'cluster' | 'signal' | 'report'>,
): Promise<{ run: HookRun; error?: EectlError }> {
  const label = hookLabel(hook);
  const env = hookEnv(hook, { cluster: run.cluster, host: host.spec, hostname: host.facts?.hostname });
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    run.report(host.name, `hook ${label}: ${line}`);
  };
  host.log.info(`running hook ${label}`);
  run.report(host.name, `hook ${label}`);
  const started = performance.now();
  let exitCode: number | null;
  let reason: string | undefined;
  try {
    const result = await host.exec(hookCommand(hook, env), {
      sudo: hook.spec.sudo,
      check: false,
      timeoutMs: hook.spec.timeoutSeconds * 1000,
      signal: run.signal,
      onStdout: onLine,
      onStderr: onLine,
    });
    exitCode = result.code;
  } catch (error) {
    // A timeout (the connection ended it), or a connection that failed under it.
    if (!(error instanceof CommandFailedError)) throw error;
    exitCode = error.commandExitCode;
    reason = error.reason ?? 'did not finish (the run log says why)';
    host.log.debug(error.message);
  }
  const seconds = Math.round(performance.now() - started) / 1000;
  const done: HookRun = { ...listed(hook, host), ran: true, exitCode, seconds };
  const status = reason ?? (exitCode === null ? 'was killed' : `exited ${exitCode}`);
  if (exitCode === 0 && reason === undefined) {
    host.log.info(`hook ${label}: done in ${seconds}s`);
    return { run: done };
  }
  host.log.warn(`hook ${label}: ${status} after ${seconds}s`);
  return { run: done, error: hookFailedError(host.name, hook, status, tail) };
}

/** A hook that failed: a `before` one stops the run with nothing changed by eectl (exit 3). */
export function hookFailedError(
  host: string,
  hook: PlannedHook,
  status: string,
  tail: readonly string[],
): EectlError {
  const beforeAnything = hook.stage === 'before' || hook.stage === 'beforeTurn';
  const lines = tail.length > 0 ? `\n  ${tail.join('\n  ')}` : '';
  return new EectlError(`${host}: hook ${hookLabel(hook)} ${status}${lines}`, {
    code: 'EHOOK',
    kind: 'external',
    exitCode: beforeAnything ? ExitCode.preflight : ExitCode.failure,
    host,
    suggestions: [
      ...(hook.stage === 'before'
        ? [`eectl changed nothing on the hosts: the ${hook.action} stopped at its \`before\` hooks.`]
        : []),
      ...(hook.stage === 'beforeTurn'
        ? [
            `${host} was not touched: its turn stopped at its \`beforeTurn\` hook; hosts done before stay done.`,
          ]
        : []),
      'The hook is your own script: its whole output is in the run log. Fix it (or what it checks), then run the same command again.',
    ],
  });
}
