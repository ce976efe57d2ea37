import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase, PhaseOutput, With } from './runner/phase.js';
import { readSpreads } from './runner/service-spread.js';
import { describeSettings, describeSpread, replaceTimeoutMs, type PlacedService } from '../swarm/spread.js';
import { done, pending, pollUntil } from '../util/poll.js';
import type { RebalanceContext } from './rebalance-plan.js';

const POLL_MS = 2000;

/** How the wait for a service's update ended, when it ended before the timeout. */
type UpdateEnd = { how: 'completed' } | { how: 'gone' } | { how: 'failed'; state: string; message: string };

/** Update states that end a forced update without its tasks replaced. */
const FAILED = new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']);

/**
 * One service at a time: the swarm replaces its tasks (`service update --force`) with the service's own
 * update settings, and its scheduler places each new task on the node that runs the fewest of them; the
 * next service starts only once this one's update completed. The first that fails or times out stops
 * the run, naming it and the services not done.
 */
export const rebalanceServicesPhase: Phase<RebalanceContext, 'contact' | 'plan' | 'reading'> = {
  title: 'Rebalance services, one at a time',
  needs: ['contact', 'plan', 'reading'],
  shouldRun: (ctx) => (ctx.plan?.services.length ?? 0) > 0,
  async run(ctx, out) {
    const docker = new HostDocker(ctx.contact);
    const target = { name: ctx.contact.name, log: ctx.contact.log };
    const planned = ctx.plan.services;
    for (const [i, spread] of planned.entries()) {
      const service = ctx.reading.services.find((s) => s.id === spread.id)!;
      const started = performance.now();
      const description = `rebalance service ${spread.name} (now ${describeSpread(spread.nodes)}): replace its tasks, ${describeSettings(spread.update)}`;
      await ctx.changes.apply(target, description, async () => {
        out.report(
          target.name,
          `${spread.name}: the swarm replaces its tasks, ${describeSettings(spread.update)}`,
        );
        await docker.serviceForceUpdate(service.id);
        const left = planned.slice(i + 1).map((s) => s.name);
        await waitUntilReplaced(ctx, docker, service, left, out);
      });
      if (ctx.changes.dryRun) continue;
      const after = (await readSpreads(docker)).spreads.find((s) => s.id === service.id);
      const seconds = Math.round(performance.now() - started) / 1000;
      ctx.rebalanced.push({ name: spread.name, before: spread.nodes, after: after?.nodes ?? [], seconds });
      out.report(
        target.name,
        `${spread.name}: done in ${seconds}s, now ${describeSpread(after?.nodes ?? [])}`,
      );
    }
  },
};

/**
 * Waits until the swarm has replaced every task of the service: its update status says completed (for
 * this update: started after the one seen before), or, from an engine that reports none, as many tasks of
 * the new spec run as the service wants. A paused or rolled-back update fails at once; after
 * `ctx.timeoutMs` (else the service's own bound, `replaceTimeoutMs`) the wait fails. Either names the service, what the swarm said, and what to do.
 */
async function waitUntilReplaced(
  ctx: With<RebalanceContext, 'contact'>,
  docker: HostDocker,
  before: PlacedService,
  left: readonly string[],
  out: PhaseOutput,
): Promise<void> {
  const timeoutMs = ctx.timeoutMs ?? replaceTimeoutMs(before);
  const outcome = await pollUntil(
    async () => {
      const [now] = await docker.placedServices([before.id]);
      if (!now) return done<UpdateEnd>({ how: 'gone' });
      const status = now.updateStatus;
      const thisUpdate = status !== undefined && status.startedAt !== before.updateStatus?.startedAt;
      if (thisUpdate && FAILED.has(status.state)) {
        return done<UpdateEnd>({ how: 'failed', state: status.state, message: status.message });
      }
      if (thisUpdate && status.state === 'completed') return done<UpdateEnd>({ how: 'completed' });
      const tasks = await docker.serviceTasks([now.id]);
      const replaced = tasks.filter((t) => t.state === 'running' && t.forceUpdate === now.forceUpdate).length;
      if (!thisUpdate && replaced >= now.replicas) return done<UpdateEnd>({ how: 'completed' });
      const said = thisUpdate
        ? `; the swarm says: ${status.state}${status.message ? `, ${status.message}` : ''}`
        : '';
      return pending(`${replaced}/${now.replicas} tasks replaced${said}`);
    },
    {
      timeoutMs,
      intervalMs: POLL_MS,
      signal: ctx.signal,
      onWait: (waiting) => out.report(ctx.contact.name, `${before.name}: ${waiting}`),
    },
  );
  const notDone = left.length > 0 ? ` Not rebalanced: ${left.join(', ')}.` : '';
  if ('timedOut' in outcome) {
    throw rebalanceError(
      `${before.name}: the swarm did not finish replacing its tasks in ${timeoutMs / 1000}s (${outcome.waiting}).${notDone}`,
      'EREBALANCE_TIMEOUT',
      before.name,
    );
  }
  const end = outcome.value;
  if (end.how === 'gone') {
    throw rebalanceError(
      `${before.name} was removed while its tasks were replaced.${notDone}`,
      'EREBALANCE_GONE',
      before.name,
    );
  }
  if (end.how === 'failed') {
    const message = end.message ? `: ${end.message}` : '';
    throw rebalanceError(
      `${before.name}: the swarm stopped replacing its tasks (update ${end.state.replaceAll('_', ' ')}${message}).${notDone}`,
      'EREBALANCE_FAILED',
      before.name,
    );
  }
}

function rebalanceError(message: string, code: string, service: string): EectlError {
  return new EectlError(message, {
    code,
    kind: 'external',
    // The swarm was changed: the service's update was started.
    exitCode: ExitCode.partial,
    suggestions: [
      `See why on a manager: \`docker service ps --no-trunc ${service}\` (a new task that fails: image, constraints, resources) and \`docker service inspect --pretty ${service}\`.`,
      `A paused update goes on with \`docker service update ${service}\`, or goes back with \`docker service rollback ${service}\`.`,
      'Then run eectl rebalance again: services already evenly spread are left alone.',
    ],
  });
}
