import { posix } from 'node:path';
import { reportExcluded, type ClusterContext } from './runner/cluster-context.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { trustFiles } from '../registry/trust.js';
import { mapAll } from '../util/concurrency.js';
import { recordCertsD } from './install-record.js';
import { registryHosts } from './registry-plan.js';

/**
 * Puts the cluster CA in /etc/docker/certs.d/<endpoint>/ca.crt on every node, for every name of every
 * registry host and the external URL, so each engine pulls from the replicas with no step of its own.
 * Runs on every install, so hosts that join later get it too; the files came with the facts. The entries
 * go into the host's install record, so reset removes them and no other.
 */
export const registryTrustPhase: Phase<ClusterContext, 'controlPlane'> = {
  title: 'Trust the registry on every node',
  needs: ['controlPlane'],
  shouldRun: (ctx) => registryHosts(ctx).length > 0 && ctx.controlPlane !== undefined,
  async run(ctx, out) {
    reportExcluded(ctx, out, "the registry's CA in /etc/docker/certs.d is not checked", false);
    // During a cluster CA rotation, the old and the new CA: a registry certificate of either is good.
    const caPem = ctx.controlPlane.ca.trustPem ?? ctx.controlPlane.ca.certPem;
    const files = trustFiles(registryHosts(ctx), ctx.config.spec.registry);
    await mapAll(ctx.hosts, ctx.concurrency, async (host: Host) => {
      const missing = files.filter((f) => host.facts?.files[f] !== caPem);
      if (missing.length === 0) return;
      const endpoints = missing.map((f) => posix.basename(posix.dirname(f)));
      await ctx.changes.apply(host, `trust the cluster CA for registry ${endpoints.join(', ')}`, async () => {
        await host.sudo(['mkdir', '-p', ...missing.map((f) => posix.dirname(f))]);
        for (const file of missing) await host.conn.upload(file, caPem, { sudo: true, mode: 0o644 });
        await recordCertsD(ctx, host, endpoints);
      });
    });
  },
};
