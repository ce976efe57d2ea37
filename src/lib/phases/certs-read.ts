import { toEectlError } from '../errors.js';
import {
  DAEMON_JSON,
  HOST_CA_CERT,
  HOST_CA_NEXT_CERT,
  HOST_SERVER_CERT,
  REGISTRY_CERT_FILE,
  REGISTRY_TOKEN_CERT_FILE,
} from '../host-layout.js';
import type { Host } from '../host/host.js';
import { WATCHER_CERT } from '../ingress/names.js';
import { managers, type ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { readLocalCa } from '../pki/ca-store.js';
import { certExpiry, sortExpiries, type CertExpiry, type CertKind } from '../pki/expiry.js';
import { readCertificateFiles, swarmNodeCert } from '../pki/host-certs.js';
import { bundleExpiry, bundlesToReissue, readIssuedBundles } from '../pki/issued-bundles.js';
import { bundlesOfOldCa } from '../pki/ca-rotation.js';
import { mapAll } from '../util/concurrency.js';
import type { UnreachableHost } from '../results/report.js';

/** What the phases of `eectl certs status` share. */
export interface CertsStatusContext extends ClusterContext {
  unreachable: UnreachableHost[];
  expiries: CertExpiry[];
  unread: { where: string; message: string }[];
  /** Warnings besides expiry: recorded bundles the cluster CA did not sign. */
  stale: string[];
}

/** The engine's data root on a host (daemon.json's data-root), where its swarm certificates live. */
function dataRoot(host: Host): string | undefined {
  try {
    const daemon = JSON.parse(host.facts?.files[DAEMON_JSON] ?? '{}') as Record<string, unknown>;
    return typeof daemon['data-root'] === 'string' ? daemon['data-root'] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads every certificate the cluster runs on: from the facts (the cluster CA, each manager's API server
 * certificate, the registry's, the swarm's CA), from one root read per host (its swarm node certificate;
 * on managers also the token-signing and ingress watcher certificates, which sit in root-only folders or
 * are not in the facts), and from this machine's record of the client bundles it issued. Changes nothing.
 */
export const certsReadPhase: Phase<CertsStatusContext> = {
  title: 'Read the certificates',
  async run(ctx, out) {
    const now = new Date();
    const cluster = ctx.config.metadata.name;
    const rows: CertExpiry[] = [];
    /** Cluster-wide certificates are the same on every manager: one row each, from the first that has it. */
    const once = new Set<CertKind>();
    const add = (kind: CertKind, owner: string, where: string, pem: string | undefined, single = false) => {
      if (pem === undefined || (single && once.has(kind))) return;
      const row = certExpiry(kind, owner, where, pem, now);
      if (!row) {
        ctx.unread.push({ where, message: 'not a readable certificate' });
        return;
      }
      if (single) once.add(kind);
      rows.push(row);
    };
    for (const m of managers(ctx)) {
      const files = m.facts?.files ?? {};
      add('cluster-ca', cluster, `${m.name}:${HOST_CA_CERT}`, files[HOST_CA_CERT], true);
      add('api-server', m.name, `${m.name}:${HOST_SERVER_CERT}`, files[HOST_SERVER_CERT]);
      add('registry', 'registry', `${m.name}:${REGISTRY_CERT_FILE}`, files[REGISTRY_CERT_FILE], true);
      add('swarm-ca', cluster, `${m.name}: docker info`, m.facts?.swarm?.caCertPem, true);
    }
    let caPem = managers(ctx)
      .map((m) => m.facts?.files[HOST_CA_CERT])
      .find((pem) => pem !== undefined);
    if (!once.has('cluster-ca')) {
      const local = await readLocalCa(cluster);
      add('cluster-ca', cluster, local?.where ?? '', local?.certPem, true);
      caPem = local?.certPem;
    }
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      const nodeCert = swarmNodeCert(dataRoot(host));
      const paths = host.isManager ? [nodeCert, REGISTRY_TOKEN_CERT_FILE, WATCHER_CERT] : [nodeCert];
      try {
        const files = await readCertificateFiles(host, paths);
        out.report(host.name, `${files.size} certificate file${files.size === 1 ? '' : 's'}`);
        add('swarm-node', host.name, `${host.name}:${nodeCert}`, files.get(nodeCert));
        const token = files.get(REGISTRY_TOKEN_CERT_FILE);
        add('token-signing', 'registry', `${host.name}:${REGISTRY_TOKEN_CERT_FILE}`, token, true);
        add('ingress-watcher', host.name, `${host.name}:${WATCHER_CERT}`, files.get(WATCHER_CERT));
      } catch (e) {
        ctx.unread.push({ where: host.name, message: toEectlError(e).message.split('\n')[0] ?? '' });
      }
    });
    const bundles = await readIssuedBundles(cluster);
    for (const b of bundles) rows.push(bundleExpiry(b, now));
    const nextPem = managers(ctx)
      .map((m) => m.facts?.files[HOST_CA_NEXT_CERT])
      .find((pem) => pem !== undefined);
    if (nextPem !== undefined) {
      ctx.stale.push(
        'a cluster CA rotation is in its overlap (both CAs trusted): end it with eectl certs rotate --cluster-ca --finish',
      );
      for (const b of bundlesOfOldCa(bundles, nextPem)) {
        ctx.stale.push(
          `client bundle of ${b.user} (${b.dir}) is of the old cluster CA: it works until the rotation's finish; issue it again with eectl client-config`,
        );
      }
    } else if (caPem !== undefined) {
      for (const b of bundlesToReissue(bundles, caPem)) {
        ctx.stale.push(
          `client bundle of ${b.user} (${b.dir}) was signed by another cluster CA: the managers refuse it; issue it again with eectl client-config`,
        );
      }
    }
    for (const u of ctx.unreachable) ctx.unread.push({ where: u.host, message: u.message });
    ctx.expiries = sortExpiries(rows);
  },
};
