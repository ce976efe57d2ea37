import { join } from 'node:path';
import { clusterDir } from '../util/log.js';

/** The operator machine's copy of the cluster CA (directory 0700, key 0600). */
export function localPkiDir(cluster: string): string {
  return join(clusterDir(cluster), 'pki');
}

/** The operator machine's copy of the new cluster CA during a rotation's overlap (as localPkiDir). */
export function localNextPkiDir(cluster: string): string {
  return join(clusterDir(cluster), 'pki-next');
}

/** The file names of a CA in a directory, on the operator machine as on the hosts. */
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
