import type { RegistrySpec } from '../config/schema.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { certsDCaFile } from '../host-layout.js';
import type { ReplicaHealth } from './plan.js';

/**
 * Asks one replica (or a mirror's replica, on its port) for `/v2/` from its own host, over TLS checked against the CA in certs.d (what every
 * engine trusts): 200, or 401 with auth, is a replica that serves.
 */
export async function checkReplica(host: Host, spec: RegistrySpec, port = spec.port): Promise<ReplicaHealth> {
  const endpoint = `${host.spec.address}:${port}`;
  const url = `https://${endpoint}/v2/`;
  const curl = ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10'];
  const r = await host.sudo([...curl, '--cacert', certsDCaFile(endpoint), url], {
    check: false,
    timeoutMs: 20_000,
  });
  const status = r.stdout.trim();
  const healthy = status === '200' || status === '401';
  const detail =
    /^\d{3}$/.test(status) && status !== '000' ? `HTTP ${status}` : r.stderr.trim() || 'no answer';
  return { host: host.name, url, healthy, detail };
}

/** Checks the replica (or a mirror's, on its port) until it serves or `timeoutMs` passes (a task just started takes a moment). */
export async function waitForReplica(
  host: Host,
  spec: RegistrySpec,
  timeoutMs: number,
  port = spec.port,
): Promise<ReplicaHealth> {
  const outcome = await pollUntil(
    async () => {
      const health = await checkReplica(host, spec, port);
      return health.healthy ? done(health) : pending(health);
    },
    { timeoutMs, intervalMs: 2000 },
  );
  return 'value' in outcome ? outcome.value : outcome.waiting;
}

/**
 * Throws EREGISTRY_DOWN when a replica did not answer in time, naming each and what to run once they
 * serve again (`rerun`: the command that waited for them).
 */
export function requireReplicasServing(replicas: readonly ReplicaHealth[], rerun: string): void {
  const down = replicas.filter((r) => !r.healthy);
  if (down.length === 0) return;
  throw new EectlError(
    `registry replicas do not answer: ${down.map((r) => `${r.url} (${r.detail})`).join(', ')}`,
    {
      code: 'EREGISTRY_DOWN',
      kind: 'external',
      exitCode: ExitCode.partial,
      suggestions: [
        `Look at \`docker service ps eectl-registry --no-trunc\` on a manager (a mirror's port: eectl-registry-mirror-<name>), then run ${rerun} again.`,
      ],
    },
  );
}

/** Every replica's health: the registry part of `eectl status`. */
export async function registryHealth(ctx: {
  hosts: readonly Host[];
  config: { spec: { registry: RegistrySpec } };
}): Promise<ReplicaHealth[]> {
  const replicas = ctx.hosts.filter((h) => h.role === 'registry');
  return Promise.all(replicas.map((h) => checkReplica(h, ctx.config.spec.registry)));
}
