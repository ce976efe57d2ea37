import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import { summarizeCertificate } from '../pki/inspect.js';
import { nodesBehindSwarmCa } from '../swarm/ca-rotation.js';
import { done, pending, pollUntil } from '../util/poll.js';
import type { CertsRotateContext } from './certs-rotate.js';

/** The swarm CA's fingerprint, short, for messages. */
const shortFingerprint = (pem: string): string => {
  try {
    return summarizeCertificate(pem).fingerprint.slice(0, 16);
  } catch {
    return 'unreadable';
  }
};

/**
 * `--swarm-ca`: rotates the swarm's own root CA on a manager (`docker swarm ca --rotate --detach`) and
 * waits, bounded and with progress, until swarmkit says the rotation is over and every node reports a
 * certificate of the new CA. A node that is down never gets one, so the wait names the nodes still behind.
 */
export const swarmCaRotatePhase: Phase<CertsRotateContext, 'swarmManager'> = {
  title: "Rotate the swarm's CA",
  needs: ['swarmManager'],
  shouldRun: (ctx) => ctx.request.swarmCa,
  async run(ctx, out) {
    const manager = ctx.swarmManager;
    const docker = new HostDocker(manager);
    await ctx.changes.apply(
      manager,
      "rotate the swarm's root CA (docker swarm ca --rotate) and wait until every node has a new certificate",
      async () => {
        const started = Date.now();
        const before = await docker.swarmCa();
        await docker.swarmCaRotate();
        const outcome = await pollUntil(
          async () => {
            const ca = await docker.swarmCa();
            const nodes = await docker.nodeCertificates();
            const behind =
              ca.caCertPem.trim() === before.caCertPem.trim() ? nodes : nodesBehindSwarmCa(ca, nodes);
            return behind.length === 0
              ? done({ nodes: nodes.length, ca })
              : pending({ behind, of: nodes.length });
          },
          {
            timeoutMs: ctx.request.swarmCaTimeoutMs,
            intervalMs: 2000,
            signal: ctx.signal,
            onWait: (w) =>
              out.report(manager.name, `${w.of - w.behind.length} of ${w.of} nodes have the new certificate`),
          },
        );
        if ('timedOut' in outcome) {
          const names = outcome.waiting.behind.map((n) => `${n.hostname} (${n.addr})`).join(', ');
          throw new EectlError(
            `the swarm CA rotation is not finished after ${Math.round(ctx.request.swarmCaTimeoutMs / 1000)}s: ${names} still hold${outcome.waiting.behind.length === 1 ? 's' : ''} a certificate of the old CA`,
            {
              code: 'ESWARM_CA_TIMEOUT',
              kind: 'external',
              exitCode: ExitCode.partial,
              host: manager.name,
              suggestions: [
                'A node that is down gets its certificate once it is back: start it, then check with eectl certs status.',
                `Watch the rotation with \`docker swarm ca\` and \`docker node ls\` on ${manager.name}; it goes on without eectl.`,
              ],
            },
          );
        }
        const seconds = Math.round((Date.now() - started) / 1000);
        manager.log.info(
          `swarm CA ${shortFingerprint(before.caCertPem)}… → ${shortFingerprint(outcome.value.ca.caCertPem)}…: all ${outcome.value.nodes} nodes have a new certificate (${seconds}s)`,
        );
        ctx.swarmCaDone = { nodes: outcome.value.nodes, seconds };
      },
    );
  },
};
