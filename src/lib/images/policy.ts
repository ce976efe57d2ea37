import type { TrustedKey } from './cosign-key.js';
import {
  matchesImagePattern,
  parseImageReference,
  repositoryName,
  type ImageReference,
} from './reference.js';

/**
 * "Run only signed images": whether a workload may start from an image. The decision is pure (the
 * signature lookup is passed in), so the managers' enforcement and `eectl image verify` give one answer.
 */

/** The policy as the managers and the CLI use it: keys already read and parsed. */
export interface SignedImagePolicy {
  requireSigned: boolean;
  /** Trusted everywhere. */
  keys: TrustedKey[];
  /** Keys trusted only for workloads in a collection (and its children) or of a team's members. */
  scoped: { collection?: string; team?: string; keys: TrustedKey[] }[];
  /** Image patterns that may run unsigned (eectl's own registry image, for example). */
  allowUnsigned: string[];
  /** `host:port` names of the cluster registry, where signatures are looked up. */
  registries: string[];
}

/** Who asks and where the workload goes: which scoped keys apply. */
export interface AdmissionSubject {
  collection?: string;
  teams?: readonly string[];
}

/** Looks up and checks the signatures of a digest (cached by the caller). */
export type SignatureLookup = (
  ref: ImageReference,
  digest: string,
  keys: readonly TrustedKey[],
) => Promise<{ signedBy?: string; rejected: string[]; signatures: number }>;

export type Admission = { allow: true; reason: string } | { allow: false; reason: string };

/** The keys trusted for `subject`: the global ones plus every scope it falls in. */
export function keysFor(policy: SignedImagePolicy, subject: AdmissionSubject): TrustedKey[] {
  const inCollection = (scope: string): boolean =>
    subject.collection !== undefined &&
    (subject.collection === scope ||
      subject.collection.startsWith(scope.endsWith('/') ? scope : `${scope}/`));
  const extra = policy.scoped.filter(
    (s) =>
      (s.collection !== undefined && inCollection(s.collection)) ||
      (s.team !== undefined && (subject.teams ?? []).includes(s.team)),
  );
  return [...policy.keys, ...extra.flatMap((s) => s.keys)];
}

/** The message for an image named by tag only. */
export function pinHint(image: string): string {
  return (
    `${image} is named by tag only: only images pinned by digest can be checked for a signature. ` +
    'Name it as IMAGE@sha256:<digest> (`docker service create` and `docker service update --image` pin ' +
    'by digest themselves unless given --no-resolve-image; `docker inspect --format {{index .RepoDigests 0}}` shows it)'
  );
}

/** Whether a workload may use `image`. */
export async function admitImage(
  image: string,
  policy: SignedImagePolicy,
  subject: AdmissionSubject,
  lookup: SignatureLookup,
): Promise<Admission> {
  if (!policy.requireSigned) return { allow: true, reason: 'signed images are not required' };
  let ref: ImageReference;
  try {
    ref = parseImageReference(image);
  } catch {
    return { allow: false, reason: `"${image}" is not an image reference` };
  }
  const exception = policy.allowUnsigned.find((p) => matchesImagePattern(ref, p));
  if (exception !== undefined) return { allow: true, reason: `allowed unsigned by "${exception}"` };
  if (!ref.digest) return { allow: false, reason: pinHint(image) };
  if (!policy.registries.includes(ref.registry)) {
    return {
      allow: false,
      reason:
        `${repositoryName(ref)} is not in the cluster registry (${policy.registries.join(', ') || 'none'}): ` +
        'signatures are looked up there; push and sign the image in the cluster registry',
    };
  }
  const keys = keysFor(policy, subject);
  if (keys.length === 0) return { allow: false, reason: 'no key is trusted for this workload' };
  let found: Awaited<ReturnType<SignatureLookup>>;
  try {
    found = await lookup(ref, ref.digest, keys);
  } catch (error) {
    // Fail closed: an unreadable registry vouches for nothing.
    return {
      allow: false,
      reason: `the signatures of ${ref.digest} could not be read: ${(error as Error).message}`,
    };
  }
  if (found.signedBy) return { allow: true, reason: `${ref.digest} signed by ${found.signedBy}` };
  if (found.signatures === 0)
    return { allow: false, reason: `${repositoryName(ref)}@${ref.digest} has no signature` };
  return {
    allow: false,
    reason: `no signature of ${repositoryName(ref)}@${ref.digest} is by a trusted key (${found.rejected.join('; ')})`,
  };
}
