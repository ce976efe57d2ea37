import { describeDifference, diffInventory } from '../backup/manifest.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import { parseIdNameLines, parseServiceInventory } from '../swarm/inventory.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { REGISTRY_SERVICE } from '../registry/names.js';
import type { RestoreContext } from './restore-guard.js';

/** How long the restored services may take to run at their replica counts (images are pulled again). */
const CONVERGE_TIMEOUT_MS = 600_000;

/** Waits until every service of the backup runs as many tasks as it wants (replicated and global alike). */
export const restoreServicesPhase: Phase<RestoreContext, 'swarmManager'> = {
  title: 'Wait until the services converge',
  needs: ['swarmManager'],
  shouldRun: (ctx) => !ctx.changes.dryRun,
  async run(ctx, out) {
    const docker = new HostDocker(ctx.swarmManager);
    const wanted = new Set(ctx.request.manifest.services.map((s) => s.name));
    const outcome = await pollUntil(
      async () => {
        const services = (await docker.services()).filter((s) => wanted.has(s.name));
        const behind = services
          .filter((s) => s.desired === 0 || s.running < s.desired)
          .map((s) => `${s.name} ${s.running}/${s.desired}`);
        return behind.length === 0 && services.length === wanted.size ? done(true) : pending(behind);
      },
      {
        timeoutMs: CONVERGE_TIMEOUT_MS,
        intervalMs: 2000,
        signal: ctx.signal,
        onWait: (behind) =>
          out.report(ctx.swarmManager.name, `waiting for ${behind.join(', ') || 'services'}`),
      },
    );
    if ('value' in outcome) return;
    throw new EectlError(
      `services did not converge in ${CONVERGE_TIMEOUT_MS / 1000}s: ${outcome.waiting.join(', ')}`,
      {
        code: 'ERESTORE_SERVICES',
        kind: 'external',
        exitCode: ExitCode.partial,
        suggestions: [
          '`docker service ps --no-trunc SERVICE` on a manager says why tasks do not start (an image that cannot be pulled?).',
          'Run restore again to continue, or `eectl status`.',
        ],
      },
    );
  },
};

/** eectl's own registry service and the secrets and configs it names after their content's hash. */
export function isRegistryObject(name: string): boolean {
  return name === REGISTRY_SERVICE || name.startsWith(`${REGISTRY_SERVICE}-`);
}

/** Compares the restored swarm with the manifest: every service, secret, config and network, by name and ID. */
export const restoreVerifyPhase: Phase<RestoreContext, 'swarmManager'> = {
  title: 'Verify against the manifest',
  needs: ['swarmManager'],
  shouldRun: (ctx) => !ctx.changes.dryRun,
  async run(ctx, out) {
    const docker = new HostDocker(ctx.swarmManager);
    const networks = parseIdNameLines(await docker.objectsWithIds('network'));
    const actual = {
      services: parseServiceInventory(await docker.inspectAllServices(), networks),
      secrets: parseIdNameLines(await docker.objectsWithIds('secret')),
      configs: parseIdNameLines(await docker.objectsWithIds('config')),
      networks,
    };
    const all = diffInventory(ctx.request.manifest, actual);
    // At new addresses, install issues the registry's certificate again for its new hosts: its secrets and
    // configuration are eectl's own and new (new names), not the backup's. Everything else must be back.
    const reissued = ctx.mapping?.moved ? all.filter((d) => isRegistryObject(d.name)) : [];
    if (reissued.length > 0) {
      out.report(
        ctx.swarmManager.name,
        `eectl's registry objects were made again for the new addresses: ${[...new Set(reissued.map((d) => d.name))].join(', ')}`,
      );
    }
    ctx.differences = all.filter((d) => !reissued.includes(d)).map(describeDifference);
    if (ctx.differences.length > 0) {
      throw new EectlError(
        `the restored swarm differs from the backup in ${ctx.differences.length} way${ctx.differences.length === 1 ? '' : 's'}:\n  ${ctx.differences.join('\n  ')}`,
        {
          code: 'ERESTORE_DIFFERS',
          kind: 'external',
          exitCode: ExitCode.partial,
          suggestions: ['Compare with `eectl backup verify FILE`, which prints the manifest.'],
        },
      );
    }
    out.report(ctx.swarmManager.name, 'every service, secret, config and network is back');
  },
};
