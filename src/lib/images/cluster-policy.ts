import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/schema.js';

import { parseCosignPublicKey, type TrustedKey } from './cosign-key.js';
import type { SignedImagePolicy } from './policy.js';
import type { RegistryCredentials } from './registry-client.js';

/** The `host:port` names of the cluster registry as the file gives them (addresses and externalUrl). */
export function clusterRegistries(config: ClusterConfig): string[] {
  const { port, externalUrl } = config.spec.registry;
  const hosts = config.spec.hosts
    .filter((h) => h.role === 'registry')
    .map((h) => `${h.address.toLowerCase()}:${port}`);
  const external = externalEndpoint(externalUrl);
  return [...new Set([...hosts, ...(external ? [external] : [])])];
}

const readKey = (path: string): TrustedKey => parseCosignPublicKey(readFileSync(path, 'utf8'), path);

/** The file's image policy with its keys read (load already checked that each one is a P-256 key). */
export function imagePolicyFromConfig(config: ClusterConfig): SignedImagePolicy {
  const spec = config.spec.images.policy;
  return {
    requireSigned: spec.requireSigned,
    keys: spec.keys.map(readKey),
    scoped: spec.trust.map((t) => ({
      ...(t.collection !== undefined && { collection: t.collection }),
      ...(t.team !== undefined && { team: t.team }),
      keys: t.keys.map(readKey),
    })),
    allowUnsigned: spec.allowUnsigned,
    registries: clusterRegistries(config),
  };
}

/**
 * Registry credentials as the docker CLI and cosign find them: EECTL_REGISTRY_USERNAME and
 * EECTL_REGISTRY_PASSWORD, else the `auths` entry of the docker config (`docker login`).
 */
export function registryCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): RegistryCredentials | undefined {
  if (env.EECTL_REGISTRY_USERNAME && env.EECTL_REGISTRY_PASSWORD !== undefined) {
    return { username: env.EECTL_REGISTRY_USERNAME, password: env.EECTL_REGISTRY_PASSWORD };
  }
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let auths: Record<string, { auth?: string }> = {};
  try {
    auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return undefined;
  }
  const entry = auths[registry] ?? auths[`https://${registry}`];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The host part of `registry.externalUrl` (`https://` assumed), with its port unless it is 443. */
export function externalEndpoint(externalUrl: string | undefined): string | undefined {
  if (!externalUrl) return undefined;
  const url = new URL(externalUrl.includes('://') ? externalUrl : `https://${externalUrl}`);
  return url.host.toLowerCase();
}
