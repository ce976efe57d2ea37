import type { ClusterContext } from './cluster-context.js';
import type { Host } from '../../host/host.js';
import type { Step, UploadStep } from '../../host/os/index.js';
import type { PhaseOutput } from './phase.js';

/** Package installs can take minutes on slow mirrors. */
const STEP_TIMEOUT_MS = 15 * 60_000;

/** Runs configurer steps in order, each as one recorded change (so --dry-run lists them instead). */
export async function applySteps(
  ctx: ClusterContext,
  host: Host,
  steps: readonly Step[],
  out?: PhaseOutput,
): Promise<void> {
  for (const step of steps) {
    await ctx.changes.apply(host, step.description, async () => {
      out?.report(host.name, step.description);
      if (step.kind === 'upload') {
        await host.conn.upload(step.path, step.content, { mode: step.mode, sudo: true });
        return;
      }
      const result = await host.exec(step.command, {
        sudo: step.sudo,
        check: step.check,
        stdin: step.stdin,
        ...(step.env !== undefined && { env: { ...step.env } }),
        timeoutMs: STEP_TIMEOUT_MS,
        signal: ctx.signal,
        onStdout: (line) => out?.report(host.name, line),
      });
      if (!step.check && result.code !== 0)
        host.log.debug(`optional step failed (${result.code}): ${step.description}`);
    });
  }
}

/** Whether every file the steps would upload is already on the host with that content (read with the facts). */
export function uploadsInPlace(host: Host, steps: readonly Step[]): boolean {
  // Secret files are never read back (the facts go to the log): they are written with the others.
  const uploads = steps.filter((s): s is UploadStep => s.kind === 'upload' && s.secret !== true);
  return uploads.length > 0 && uploads.every((u) => host.facts?.files[u.path] === u.content);
}
