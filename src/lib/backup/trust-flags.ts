import { Flags } from '@oclif/core';
import type { ClusterConfig } from '../config/schema.js';
import { clusterTrustAnchor, noClusterAnchor, trustAnchorFromFile, type TrustPolicy } from './signature.js';

/** --trust and --accept-unsigned, the same in `backup verify` and `restore`. */
export const trustFlags = {
  trust: Flags.string({
    description:
      "CA certificate (PEM) to check the archive's signature against, e.g. ca.pem of a client bundle of the cluster the backup was taken from (default: the cluster's own CA on this machine)",
  }),
  'accept-unsigned': Flags.boolean({
    description: 'Use an unsigned archive, or one whose signature cannot be verified, with a warning',
  }),
};

/**
 * What an archive's signature is checked against: --trust FILE when given, else the CA certificate this
 * machine holds for the cluster file's cluster (`cluster`; see clusterTrustAnchor). Never anything from
 * the archive. `noCluster` says why there is no cluster file, when there is none.
 */
export async function trustPolicy(options: {
  trust: string | undefined;
  acceptUnsigned: boolean;
  cluster: ClusterConfig | undefined;
  noCluster?: string;
}): Promise<TrustPolicy> {
  const { acceptUnsigned } = options;
  if (options.trust !== undefined)
    return { anchor: await trustAnchorFromFile(options.trust), acceptUnsigned };
  if (!options.cluster)
    return {
      anchor: undefined,
      acceptUnsigned,
      noAnchor: options.noCluster ?? 'no --trust and no cluster file',
    };
  const anchor = await clusterTrustAnchor(options.cluster);
  return anchor
    ? { anchor, acceptUnsigned }
    : { anchor: undefined, acceptUnsigned, noAnchor: noClusterAnchor(options.cluster) };
}
