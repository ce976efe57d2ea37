import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import { INGRESS_NODE_LABEL, PROXY_SERVICE } from '../ingress/names.js';
import { NODE_RUN_DIR, NODE_TMPFILES, NODE_TMPFILES_LINE } from '../host-layout.js';
import { planIngress, type IngressPlan } from '../ingress/plan.js';
import { inSwarm, managers, type ClusterContext } from './runner/cluster-context.js';
import type { Phase, PhaseOutput } from './runner/phase.js';
import { bundledImageId } from '../registry/bundle-images.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { mapAll } from '../util/concurrency.js';
import { differences } from './registry-deploy.js';
import { deployWatchers } from './ingress-watcher.js';

/** How long a proxy may take to answer after its rollout. */
const PROXY_TIMEOUT_MS = 90_000;

/** The hosts of the file that run a proxy. */
export const ingressHosts = (ctx: ClusterContext): Host[] => {
  const nodes = ctx.config.spec.ingress?.nodes ?? [];
  return ctx.hosts.filter((h) => nodes.includes(h.spec.address));
};

/**
 * Converges the ingress (spec.ingress): the ingress nodes are labelled (and others unlabelled) and have
 * their folder, the overlay network exists, the proxies and the sync service run, the watcher runs on
 * every manager, and every proxy answers (its 404 for an unknown host). Without spec.ingress it does
 * nothing: a cluster without it is unchanged.
 */
export const ingressPhase: Phase<ClusterContext> = {
  title: 'Deploy the ingress proxies',
  shouldRun: (ctx) =>
    ctx.config.spec.ingress !== undefined &&
    (ctx.changes.dryRun || (ctx.swarmManager !== undefined && inSwarm(ctx.swarmManager))),
  async run(ctx, out) {
    const spec = ctx.config.spec.ingress!;
    const plan = planIngress(spec, await bundledImageId(ctx.config.spec.images.bundles, spec.image));
    await mapAll(ingressHosts(ctx), ctx.concurrency, (h) => ensureRunDir(ctx, h));
    const manager = ctx.swarmManager && inSwarm(ctx.swarmManager) ? ctx.swarmManager : undefined;
    if (!manager) {
      await ctx.changes.apply(ctx.hosts[0]!, `create the ingress services ${PROXY_SERVICE}`, async () => {});
      return;
    }
    const docker = new HostDocker(manager);
    await labelNodes(ctx, manager, docker);
    if (!(await docker.networkExists(spec.network))) {
      await ctx.changes.apply(manager, `create the overlay network ${spec.network}`, () =>
        docker.overlayNetworkCreate(spec.network),
      );
    }
    const configs = await docker.objectNames('config');
    // The sync targets' first configs (labelled) are needed only to create the sync service: after that
    // the watcher owns them, and removes them once it has replaced them.
    const syncExists = (await docker.serviceInspect(plan.sync.name)) !== undefined;
    const needed = plan.objects.filter((o) => !configs.includes(o.name) && !(o.labels && syncExists));
    for (const o of needed) {
      await ctx.changes.apply(manager, `create ingress config ${o.name}`, () =>
        docker.configCreate(o.name, o.content, o.labels ? { labels: o.labels } : {}),
      );
    }
    await deployServices(ctx, manager, docker, plan, out);
    await deployWatchers(ctx, managers(ctx).filter(inSwarm));
    if (!ctx.changes.dryRun) await checkProxies(ctx, out);
  },
};

/** The folder the sync task writes, now and at every boot (tmpfiles.d). */
async function ensureRunDir(ctx: ClusterContext, host: Host): Promise<void> {
  const have = (await host.conn.readFile(NODE_TMPFILES))?.toString('utf8');
  const exists = (await host.sudo(['test', '-d', NODE_RUN_DIR], { check: false })).code === 0;
  if (have === NODE_TMPFILES_LINE && exists) return;
  await ctx.changes.apply(host, `create ${NODE_RUN_DIR} (tmpfs, root only) now and at boot`, async () => {
    await host.conn.upload(NODE_TMPFILES, NODE_TMPFILES_LINE, { mode: 0o644, sudo: true });
    await host.sudo(['install', '-d', '-m', '0700', NODE_RUN_DIR]);
  });
}

/** The ingress label on the nodes of spec.ingress.nodes, and on no other node. */
async function labelNodes(ctx: ClusterContext, manager: Host, docker: HostDocker): Promise<void> {
  const wanted = new Set(ingressHosts(ctx).map((h) => h.facts?.swarm?.nodeId));
  for (const node of await docker.nodes()) {
    const has = node.labels[INGRESS_NODE_LABEL] === 'true';
    if (wanted.has(node.id) && !has) {
      await ctx.changes.apply(manager, `label node ${node.hostname}: ${INGRESS_NODE_LABEL}=true`, () =>
        docker.nodeUpdate(node.id, { labels: { [INGRESS_NODE_LABEL]: 'true' } }),
      );
    } else if (!wanted.has(node.id) && INGRESS_NODE_LABEL in node.labels) {
      await ctx.changes.apply(manager, `remove ${INGRESS_NODE_LABEL} from node ${node.hostname}`, () =>
        docker.nodeUpdate(node.id, { removeLabels: [INGRESS_NODE_LABEL] }),
      );
    }
  }
}

/** The proxy service created or rolled (one node at a time) when it differs; the sync service created once. */
async function deployServices(
  ctx: ClusterContext,
  manager: Host,
  docker: HostDocker,
  plan: IngressPlan,
  out: PhaseOutput,
): Promise<void> {
  const proxy = await docker.serviceInspect(plan.proxy.name);
  if (!proxy) {
    out.report(manager.name, `creating ${plan.proxy.name}`);
    await ctx.changes.apply(
      manager,
      `create service ${plan.proxy.name} (HAProxy on every ingress node)`,
      () => docker.serviceCreate(plan.proxy),
    );
  } else {
    const changed = differences(plan.proxy, proxy);
    if (changed.length > 0) {
      out.report(manager.name, `rolling out ${plan.proxy.name}, one node at a time`);
      await ctx.changes.apply(
        manager,
        `roll out ${plan.proxy.name} one node at a time (${changed.join(', ')})`,
        () => docker.serviceUpdate(plan.proxy, proxy),
      );
    }
  }
  if (!(await docker.serviceInspect(plan.sync.name))) {
    await ctx.changes.apply(
      manager,
      `create service ${plan.sync.name} (writes the routes on every ingress node)`,
      () => docker.serviceCreate(plan.sync),
    );
  }
}

/** Every proxy answers on the node's HTTP port (the 404 of an unknown host, or any HTTP answer). */
async function checkProxies(ctx: ClusterContext, out: PhaseOutput): Promise<void> {
  const port = ctx.config.spec.ingress!.ports.http;
  const down = (
    await mapAll(ingressHosts(ctx), ctx.concurrency, async (host) => {
      out.report(host.name, `waiting for the proxy on :${port}`);
      const outcome = await pollUntil(
        async () => {
          const r = await host.exec(
            [
              'curl',
              '-s',
              '-o',
              '/dev/null',
              '-w',
              '%{http_code}',
              '--max-time',
              '3',
              `http://127.0.0.1:${port}/`,
            ],
            { check: false },
          );
          return /^[1-5]\d\d$/.test(r.stdout.trim()) ? done(true) : pending(false);
        },
        { timeoutMs: PROXY_TIMEOUT_MS, intervalMs: 1000 },
      );
      return 'value' in outcome ? undefined : host.name;
    })
  ).filter((h): h is string => h !== undefined);
  if (down.length === 0) return;
  throw new EectlError(`ingress proxies do not answer on :${port}: ${down.join(', ')}`, {
    code: 'EINGRESS_DOWN',
    kind: 'external',
    exitCode: ExitCode.partial,
    suggestions: [
      `Look at \`docker service ps ${PROXY_SERVICE} --no-trunc\` on a manager, then run install again.`,
    ],
  });
}
