import { X509Certificate } from 'node:crypto';
import type { ManifestSigner } from '../backup/signature.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import type { ClusterContext } from './runner/cluster-context.js';
import { agreeOnCa, readGivenCa, readLocalCa, type CaCandidate } from '../pki/ca-store.js';
import { keyMatchesCert } from '../pki/keys.js';
import { HOST_CA_CERT, HOST_CA_KEY } from '../host-layout.js';
import { addSecret } from '../util/redact.js';

/**
 * The cluster CA a backup's manifest is signed with, found before anything is stopped: the CA the source
 * manager has (the one the cluster trusts), which this machine's copy and controlPlane.ca must agree with
 * (two different CAs are refused, as install refuses them). Its key comes from this machine
 * (`~/.eectl/<cluster>/pki/ca-key.pem`) or controlPlane.ca's keyPath, else from the source manager
 * (`/etc/eectl/pki/ca-key.pem`, read as root: the archive holds that file anyway). Without the key the
 * backup is refused (exit 3): an archive nobody can check the writer of is what signing is there to end.
 */
export async function findManifestSigner(ctx: ClusterContext, source: Host): Promise<ManifestSigner> {
  const cluster = ctx.config.metadata.name;
  const onSource = source.facts?.files[HOST_CA_CERT];
  const local = await readLocalCa(cluster);
  const givenPaths = ctx.config.spec.controlPlane.ca;
  const given = givenPaths ? await readGivenCa(givenPaths) : undefined;
  const found: CaCandidate[] = [
    ...(onSource === undefined ? [] : [{ where: `${source.name}:${HOST_CA_CERT}`, certPem: onSource }]),
    ...(local ? [local] : []),
    ...(given ? [given] : []),
  ];
  const chosen = agreeOnCa(found);
  if (!chosen) {
    throw new EectlError(
      `cluster ${cluster} has no CA (none on ${source.name}, none on this machine), and a backup is signed with it; nothing was changed`,
      {
        code: 'EBACKUP_SIGNING_KEY',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: ['Run `eectl install`: it creates the cluster CA and the engine API on every manager.'],
      },
    );
  }
  for (const candidate of [local, given]) {
    if (candidate?.keyPem !== undefined && keyMatchesCert(candidate.keyPem, chosen.certPem))
      return { certPem: chosen.certPem, keyPem: candidate.keyPem, where: candidate.where };
  }
  const key = (await source.conn.readFile(HOST_CA_KEY, { sudo: true }))?.toString('utf8');
  addSecret(key);
  if (key !== undefined && keyMatchesCert(key, chosen.certPem))
    return { certPem: chosen.certPem, keyPem: key, where: `${source.name}:${HOST_CA_KEY}` };
  throw new EectlError(
    `the key of the cluster CA (${chosen.where}) was not found, and a backup's manifest is signed with it; nothing was changed`,
    {
      code: 'EBACKUP_SIGNING_KEY',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        `Put the CA key in ~/.eectl/${cluster}/pki/ca-key.pem here, or back in ${HOST_CA_KEY} on ${source.name}.`,
        'Or name the CA in controlPlane.ca: {certPath, keyPath} of the cluster file.',
      ],
    },
  );
}

/** "the cluster CA (SHA-256 0123456789abcdef…, from ~/.eectl/prod/pki)", for the plan. */
export function describeSigner(signer: ManifestSigner): string {
  const fingerprint = new X509Certificate(signer.certPem).fingerprint256.replace(/:/g, '').toLowerCase();
  return `the cluster CA (SHA-256 ${fingerprint.slice(0, 16)}…, key from ${signer.where})`;
}
