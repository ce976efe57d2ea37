import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { clusterRegistries, imagePolicyFromConfig, registryCredentials } from '../images/cluster-policy.js';
import { openCosignPrivateKey } from '../images/cosign-key.js';
import { keysFor } from '../images/policy.js';
import {
  formatImageReference,
  parseImageReference,
  repositoryName,
  type ImageReference,
} from '../images/reference.js';
import { RegistryClient } from '../images/registry-client.js';
import { resolveDigest, signDigest, verifyDigest } from '../images/signatures.js';
import { CA_CERT_FILE, localPkiDir } from '../pki/paths.js';
import type { Logger } from '../util/log.js';
import type { SignResult, VerifyResult } from '../results/image.js';

/** What `image sign` and `image verify` are given. */
export interface ImageOptions {
  config: ClusterConfig;
  log: Logger;
  image: string;
  /** A CA certificate file to trust for the registry (default: this machine's copy of the cluster CA). */
  caFile?: string;
}

/** The registry client for `ref`, which must be in the cluster registry. */
async function clusterRegistryClient(options: ImageOptions, ref: ImageReference): Promise<RegistryClient> {
  const registries = clusterRegistries(options.config);
  if (!registries.includes(ref.registry)) {
    throw new UsageError(
      `${formatImageReference(ref)} is not in the cluster registry (${registries.join(', ') || 'the file has no registry host'})`,
      {
        code: 'ENOT_CLUSTER_REGISTRY',
        suggestions: [
          'Push the image to the cluster registry and name it there, e.g. ' +
            `${registries[0] ?? 'REGISTRY'}/team/app:1.0.`,
        ],
      },
    );
  }
  const caFile = options.caFile ?? join(localPkiDir(options.config.metadata.name), CA_CERT_FILE);
  const ca = await readFile(caFile, 'utf8').catch(() => {
    throw new UsageError(`cannot read the CA certificate ${caFile}`, {
      code: 'ENO_CA',
      suggestions: [
        "Run eectl install (it keeps the cluster CA on this machine), or name a client bundle's ca.pem with --ca.",
      ],
    });
  });
  const credentials = registryCredentials(ref.registry);
  options.log.debug(`registry ${ref.registry}: ${credentials ? `as ${credentials.username}` : 'anonymous'}`);
  return new RegistryClient({ registry: ref.registry, ca: [ca], ...(credentials && { credentials }) });
}

/** Signs an image's digest with a cosign key and stores the signature in the cluster registry. */
export async function signImage(
  options: ImageOptions & { keyFile: string; password: () => Promise<string> },
): Promise<SignResult> {
  const ref = parseImageReference(options.image);
  const pem = await readFile(options.keyFile, 'utf8').catch(() => {
    throw new UsageError(`cannot read the key ${options.keyFile}`, { code: 'ECOSIGN_KEY' });
  });
  const key = openCosignPrivateKey(pem, await options.password(), options.keyFile);
  const client = await clusterRegistryClient(options, ref);
  const digest = await resolveDigest(client, ref);
  const stored = await signDigest(client, ref, digest, key);
  options.log.info(`signed ${repositoryName(ref)}@${digest} (${stored.added ? 'added' : 'already signed'})`);
  return { image: `${repositoryName(ref)}@${digest}`, digest, signatureTag: stored.tag, added: stored.added };
}

/** Checks an image's signatures against the keys the file trusts (for a collection or team if given). */
export async function verifyImage(
  options: ImageOptions & { collection?: string; teams?: string[] },
): Promise<VerifyResult> {
  const ref = parseImageReference(options.image);
  const policy = imagePolicyFromConfig(options.config);
  const keys = keysFor(policy, {
    ...(options.collection !== undefined && { collection: options.collection }),
    teams: options.teams ?? [],
  });
  if (keys.length === 0) {
    throw new UsageError('the cluster file trusts no key for this check', {
      code: 'ENO_KEYS',
      suggestions: ['List cosign public keys under spec.images.policy.keys (or trust[].keys).'],
    });
  }
  const client = await clusterRegistryClient(options, ref);
  const digest = await resolveDigest(client, ref);
  const found = await verifyDigest(client, ref.repository, digest, keys);
  return {
    image: `${repositoryName(ref)}@${digest}`,
    digest,
    verified: found.signedBy !== undefined,
    ...(found.signedBy !== undefined && { signedBy: found.signedBy }),
    signatures: found.signatures,
    rejected: found.rejected,
    keys: keys.map((k) => k.name),
  };
}
