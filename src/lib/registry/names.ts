import { createHash } from 'node:crypto';

/** The registry's swarm service. */
export const REGISTRY_SERVICE = 'eectl-registry';

/** Prefix of every swarm config and secret of the registry (old ones are removed by it). */
export const REGISTRY_OBJECT_PREFIX = 'eectl-registry-';

/** SHA-256 of a text, lower-case hex. */
export const sha256 = (content: string | Buffer): string =>
  createHash('sha256').update(content).digest('hex');

/**
 * A content-addressed swarm object name: `eectl-registry-<kind>-<sha256[:12]>`. Swarm configs and secrets
 * cannot change, so a new content is a new object, and the service update that swaps it in is the rollout.
 */
export function contentName(kind: string, content: string): string {
  return `${REGISTRY_OBJECT_PREFIX}${kind}-${sha256(content).slice(0, 12)}`;
}
