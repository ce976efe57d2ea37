import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { TrustedKey } from '../images/cosign-key.js';
import {
  clusterRegistries,
  imagePolicyFromConfig,
  registryCredentials,
  externalEndpoint,
} from '../images/cluster-policy.js';
import { RegistryClient, type BearerChallenge, type RegistryCredentials } from '../images/registry-client.js';
import { verifyDigest, type Descriptor } from '../images/signatures.js';
import { CA_CERT_FILE, localPkiDir } from '../pki/paths.js';
import type { Logger } from '../util/log.js';
import { mapAll } from '../util/concurrency.js';
import { ADMIN_USER } from './plan.js';

/** One tag of the cluster registry as `registry ls` and `registry prune` read it. */
export interface RegistryTag {
  tag: string;
  digest: string;
  /** Bytes of the manifest's blobs (config and layers, or the platform manifests of an index). */
  size?: number;
  /** The image's creation date (ISO 8601), when its config says. */
  created?: string;
  /** The trusted key whose signature vouches for the digest, when one does. */
  signedBy?: string;
}

/** One repository and its tags. */
export interface RegistryRepository {
  name: string;
  tags: RegistryTag[];
  /** Tags left unread by a bound on the work (the dashboard's); `registry ls` reads every tag. */
  omittedTags?: number;
}

/** The registry's `host:port` eectl talks to: the external URL when the file has one, else the first replica. */
export function registryEndpoint(config: ClusterConfig): string {
  const endpoint = externalEndpoint(config.spec.registry.externalUrl) ?? clusterRegistries(config)[0];
  if (!endpoint) {
    throw new UsageError('the cluster file has no registry host', {
      code: 'ENO_REGISTRY',
      suggestions: ['Add a host with role: registry and run eectl install.'],
    });
  }
  return endpoint;
}

/**
 * What eectl logs in with when this machine has no registry login, from what the managers keep: the
 * admin password (htpasswd), or tokens a manager mints for the scope each challenge names (token auth).
 */
export type KeptLogin =
  | { kind: 'password'; password: string }
  | { kind: 'token'; token: (challenge: BearerChallenge) => Promise<string> };

/**
 * A client of the cluster registry: trusted by this machine's copy of the cluster CA, logged in as
 * EECTL_REGISTRY_USERNAME/PASSWORD or the `docker login` of this machine, else with what the managers
 * keep (`kept`, read only then; its secrets are registered for redaction there). Without either: anonymous.
 */
export async function clusterRegistryClient(
  config: ClusterConfig,
  log: Logger,
  kept?: () => Promise<KeptLogin | undefined>,
): Promise<{ client: RegistryClient; registry: string }> {
  const registry = registryEndpoint(config);
  const caFile = join(localPkiDir(config.metadata.name), CA_CERT_FILE);
  const ca = await readFile(caFile, 'utf8').catch(() => {
    throw new UsageError(`cannot read the cluster CA certificate ${caFile}`, {
      code: 'ENO_CA',
      suggestions: ['Run eectl install from this machine (it keeps the cluster CA here).'],
    });
  });
  let credentials: RegistryCredentials | undefined = registryCredentials(registry);
  let token: (KeptLogin & { kind: 'token' }) | undefined;
  if (!credentials && kept) {
    const login = await kept();
    if (login?.kind === 'password') credentials = { username: ADMIN_USER, password: login.password };
    if (login?.kind === 'token') token = login;
  }
  const as = credentials ? `as ${credentials.username}` : token ? 'with tokens a manager mints' : 'anonymous';
  log.debug(`registry ${registry}: ${as}`);
  return {
    client: new RegistryClient({
      registry,
      ca: [ca],
      ...(credentials && { credentials }),
      ...(token && { token: token.token }),
    }),
    registry,
  };
}

/** Every key the file trusts (cluster-wide and per collection or team): "signed" means by one of them. */
export function trustedKeys(config: ClusterConfig): TrustedKey[] {
  const policy = imagePolicyFromConfig(config);
  return [...policy.keys, ...policy.scoped.flatMap((s) => s.keys)];
}

interface ImageManifest {
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** A cosign tag: the signature (or attestation) of another image of the repository, listed with it. */
const COSIGN_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/**
 * One repository's tags: digest, size, creation date and the trusted signature of each (one read per
 * digest). With `maxTags`, only the first that many (by name) are read, and `omittedTags` counts the rest.
 */
export async function readRepository(
  client: RegistryClient,
  name: string,
  keys: readonly TrustedKey[],
  concurrency = 4,
  maxTags?: number,
): Promise<RegistryRepository> {
  const all = (await client.tags(name)).sort();
  const tags = maxTags === undefined ? all : all.slice(0, maxTags);
  const byDigest = new Map<string, Promise<Omit<RegistryTag, 'tag' | 'digest'>>>();
  const read = await mapAll(tags, concurrency, async (tag): Promise<RegistryTag | undefined> => {
    const manifest = await client.manifest(name, tag);
    if (!manifest) return undefined; // deleted since the list
    const digest = manifest.digest;
    if (!byDigest.has(digest)) {
      byDigest.set(
        digest,
        (async () => {
          const body = JSON.parse(manifest.body.toString('utf8')) as ImageManifest;
          const parts = [...(body.config ? [body.config] : []), ...(body.layers ?? body.manifests ?? [])];
          const size = parts.reduce((sum, d) => sum + (Number.isFinite(d.size) ? d.size : 0), 0);
          const created = COSIGN_TAG.test(tag) ? undefined : await createdOf(client, name, body);
          const signed =
            COSIGN_TAG.test(tag) || keys.length === 0
              ? undefined
              : (await verifyDigest(client, name, digest, keys)).signedBy;
          return { size, ...(created && { created }), ...(signed !== undefined && { signedBy: signed }) };
        })(),
      );
    }
    return { tag, digest, ...(await byDigest.get(digest)!) };
  });
  const omitted = all.length - tags.length;
  return {
    name,
    tags: read.filter((t): t is RegistryTag => t !== undefined),
    ...(omitted > 0 && { omittedTags: omitted }),
  };
}

/** The image's `created` from its config blob; undefined for an index or a config that says none. */
async function createdOf(
  client: RegistryClient,
  name: string,
  body: ImageManifest,
): Promise<string | undefined> {
  if (!body.config || body.config.size > 1_000_000) return undefined;
  const config = JSON.parse((await client.blob(name, body.config.digest)).toString('utf8')) as {
    created?: unknown;
  };
  if (typeof config.created !== 'string') return undefined;
  const date = new Date(config.created);
  // cosign's own configs say 0001-01-01: no date at all.
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1970 ? undefined : date.toISOString();
}

/** Distribution's repository name grammar: a repository name reaches URL paths only when it matches. */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Every repository (or the one named), read with `readRepository`. */
export async function readRegistry(
  client: RegistryClient,
  keys: readonly TrustedKey[],
  only?: string,
): Promise<RegistryRepository[]> {
  const names = only !== undefined ? [only] : (await client.catalog()).sort();
  const bad = names.find((n) => n.length > 255 || !REPOSITORY_NAME.test(n));
  if (bad !== undefined) {
    throw new UsageError(`${JSON.stringify(bad)} is not a repository name`, {
      code: 'EREPOSITORY_NAME',
      suggestions: ['Name a repository as docker does: lower-case path segments, e.g. team/app.'],
    });
  }
  const repositories: RegistryRepository[] = [];
  for (const name of names) repositories.push(await readRepository(client, name, keys));
  return repositories;
}
