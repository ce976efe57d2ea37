import { EectlError, ExitCode } from '../errors.js';
import { summarizeCertificate } from './inspect.js';
import type { IssuedBundle } from './issued-bundles.js';
import { HOST_CA_CERT, HOST_CA_NEXT_CERT } from '../host-layout.js';
import { pemCertificates } from './trust-bundle.js';

/**
 * A rotation of the cluster CA (`certs rotate --cluster-ca`) in the state the managers' files show; eectl
 * keeps no state file, so every run reads it again from them:
 *
 * - `none`: each manager's ca.pem holds the one cluster CA, and no manager has ca-next.pem.
 * - `rotating`: some manager has ca-next.pem, the new CA. Each manager's ca.pem trusts the `old` CA only
 *   (the start has not reached it), `both` (the overlap), or the `new` one only (the finish has).
 */
export type CaRotationState =
  | { stage: 'none'; current: string }
  | { stage: 'rotating'; old: string | undefined; next: string; managers: ManagerCaState[] };

/** One manager's part of a rotation. */
export interface ManagerCaState {
  host: string;
  /** Which CAs its ca.pem trusts. */
  trusts: 'old' | 'both' | 'new';
  /** It holds the new CA (ca-next.pem and its key). */
  hasNext: boolean;
}

/** A manager's CA files as the facts read them (public certificates only). */
export interface ManagerCaFiles {
  host: string;
  trust: string | undefined;
  next: string | undefined;
}

const fingerprint = (pem: string) => summarizeCertificate(pem).fingerprint;

/** Certificates of several PEM texts, one per fingerprint, in order of first appearance. */
function distinct(texts: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const pem of texts.flatMap(pemCertificates)) {
    const fp = fingerprint(pem);
    if (!seen.has(fp)) seen.set(fp, pem);
  }
  return [...seen.values()];
}

function inconsistent(message: string): EectlError {
  return new EectlError(`${message}; nothing was changed`, {
    code: 'ECA_ROTATION_STATE',
    kind: 'user',
    exitCode: ExitCode.preflight,
    suggestions: [
      `Compare ${HOST_CA_CERT} and ${HOST_CA_NEXT_CERT} on the managers (eectl certs status lists them).`,
    ],
  });
}

/** Reads the rotation's state from every manager's files; refuses what no run of eectl leaves. */
export function caRotationState(files: readonly ManagerCaFiles[]): CaRotationState {
  const withTrust = files.filter((f) => f.trust !== undefined);
  if (withTrust.length === 0) throw inconsistent(`no manager has ${HOST_CA_CERT}: install first`);
  const nexts = distinct(files.flatMap((f) => (f.next === undefined ? [] : [f.next])));
  if (nexts.length > 1) {
    throw inconsistent(`the managers hold ${nexts.length} different new cluster CAs in ${HOST_CA_NEXT_CERT}`);
  }
  const trusted = distinct(withTrust.map((f) => f.trust!));
  const [next] = nexts;
  if (next === undefined) {
    if (trusted.length > 1) {
      throw inconsistent(`the managers trust ${trusted.length} cluster CAs and no rotation is under way`);
    }
    return { stage: 'none', current: trusted[0]! };
  }
  const nextFp = fingerprint(next);
  const olds = trusted.filter((pem) => fingerprint(pem) !== nextFp);
  if (olds.length > 1)
    throw inconsistent(`the managers trust ${olds.length} cluster CAs besides the new one`);
  const managers = files.map((f): ManagerCaState => {
    const fps = new Set(f.trust === undefined ? [] : pemCertificates(f.trust).map(fingerprint));
    const hasNew = fps.has(nextFp);
    const trusts = hasNew ? (fps.size > 1 ? 'both' : 'new') : 'old';
    return { host: f.host, trusts, hasNext: f.next !== undefined };
  });
  return { stage: 'rotating', old: olds[0], next, managers };
}

/** The recorded client bundles the new CA did not sign: the old CA's, which the finish leaves refused. */
export function bundlesOfOldCa(records: readonly IssuedBundle[], nextPem: string): IssuedBundle[] {
  const next = fingerprint(nextPem);
  return records.filter((b) => b.caFingerprint !== next);
}
