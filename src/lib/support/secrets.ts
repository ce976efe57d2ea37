import { REGISTRY_LOGINS_FILE, HOST_CA_KEY, HOST_SERVER_KEY } from '../host-layout.js';
import { secretEnvRefs } from '../config/secrets.js';
import type { ClusterConfig } from '../config/schema.js';
import { HostDocker } from '../swarm/docker.js';
import { WATCHER_KEY } from '../ingress/names.js';
import type { Host } from '../host/host.js';
import { readLocalCa } from '../pki/ca-store.js';
import { readRegistryState } from '../registry/state.js';
import { addSecret } from '../util/redact.js';

/**
 * What a support dump redacts besides what has the shape of a secret (join tokens, PEM private keys): the
 * secrets themselves, learnt here and registered with the redactor (util/redact.ts), which then removes each
 * in every encoding. They are read into memory only: none of these reads is ever an entry of the dump.
 */

/** The secrets the cluster file names in the environment (passwords, S3 keys), those that are set. */
export function learnEnvSecrets(config: ClusterConfig, env: NodeJS.ProcessEnv = process.env): number {
  let count = 0;
  for (const ref of secretEnvRefs(config)) {
    const value = env[ref.name];
    if (!value) continue;
    addSecret(value);
    count++;
  }
  return count;
}

/** This machine's copy of the cluster CA's key (`~/.eectl/<cluster>/pki`), when there is one. */
export async function learnLocalSecrets(cluster: string): Promise<number> {
  const ca = await readLocalCa(cluster).catch(() => undefined);
  return ca?.keyPem ? 1 : 0;
}

/**
 * A manager's secrets, read as root: the CA's, the API's and the ingress watcher's keys, the registry's state (its TLS key, the
 * token service's signing key, htpasswd, http.secret, the admin password) and the file users' password
 * hashes. Missing files are skipped.
 */
export async function learnManagerSecrets(host: Host): Promise<number> {
  let count = 0;
  for (const path of [HOST_CA_KEY, HOST_SERVER_KEY, WATCHER_KEY, REGISTRY_LOGINS_FILE]) {
    const text = (await host.conn.readFile(path, { sudo: true }))?.toString('utf8');
    if (!text) continue;
    addSecret(text);
    addSecret(text.trim());
    if (path === REGISTRY_LOGINS_FILE) for (const hash of loginHashes(text)) addSecret(hash);
    count++;
  }
  const state = await readRegistryState(host); // registers every value but the certificates
  return count + [...state.keys()].filter((p) => !p.endsWith('-cert.pem')).length;
}

/** The swarm's join tokens, from a manager: read to be redacted, never written anywhere. */
export async function learnJoinTokens(manager: Host): Promise<void> {
  const docker = new HostDocker(manager);
  for (const role of ['worker', 'manager'] as const) addSecret(await docker.joinToken(role));
}

function loginHashes(json: string): string[] {
  try {
    const users = (JSON.parse(json) as { users?: Record<string, unknown> }).users ?? {};
    return Object.values(users).filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}
