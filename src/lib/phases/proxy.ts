import { hostProxy, sameOnHost } from './converge/engine-proxy.js';
import { type ClusterContext } from './runner/cluster-context.js';
import type { Host } from '../host/host.js';
import { configurerFor, type Step, type UploadStep } from '../host/os/index.js';
import type { Phase } from './runner/phase.js';
import { applySteps } from './runner/steps.js';
import { mapAll } from '../util/concurrency.js';

const isSecretUpload = (s: Step): s is UploadStep => s.kind === 'upload' && s.secret === true;

/**
 * The configurer's proxy steps that are needed: a login (never read with the facts) is compared on the
 * host; when it is in place and no public file changes, nothing is (the directory it is made in included).
 */
async function packageProxySteps(ctx: ClusterContext, host: Host): Promise<Step[]> {
  const steps = configurerFor(host.known).packageProxy(hostProxy(ctx, host), host.known.files);
  const secrets = steps.filter(isSecretUpload);
  if (secrets.length === 0) return steps;
  const inPlace = await Promise.all(secrets.map((s) => sameOnHost(host, s.path, s.content)));
  if (inPlace.includes(false)) return steps;
  const rest: Step[] = steps.filter((s) => s.kind !== 'upload' || s.secret !== true);
  return rest.some((s) => s.kind === 'upload') ? rest : [];
}

/**
 * Points each host's package manager at its proxy (spec.proxy or the host's own), or takes eectl's proxy
 * settings away when the file has none any more; before the package sources, whose set-up downloads.
 */
export const packageProxyPhase: Phase<ClusterContext> = {
  title: 'Configure package proxies',
  shouldRun: (ctx) =>
    ctx.hosts.some((h) => {
      const proxy = hostProxy(ctx, h);
      return (
        proxy?.credentials === true || configurerFor(h.known).packageProxy(proxy, h.known.files).length > 0
      );
    }),
  async run(ctx, out) {
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      await applySteps(ctx, host, await packageProxySteps(ctx, host), out);
    });
  },
};
