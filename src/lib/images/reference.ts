import { UsageError } from '../errors.js';

/**
 * An image reference split as the docker CLI splits it: `[registry/]repository[:tag][@digest]`. The
 * first component is a registry when it has a dot or a port or is `localhost`; otherwise the image is on
 * Docker Hub (`docker.io`, with `library/` for a single-component name).
 */
export interface ImageReference {
  /** `10.0.0.31:5443`, `docker.io`. */
  registry: string;
  /** `team/app`, `library/busybox`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const REGISTRY = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/** Parses `ref`; throws a UsageError that says what is wrong with it. */
export function parseImageReference(ref: string): ImageReference {
  const bad = (why: string): UsageError =>
    new UsageError(`not an image reference: "${ref}" (${why})`, {
      code: 'EIMAGE_REF',
      suggestions: [
        'Write it as REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. 10.0.0.31:5443/team/app:1.0.',
      ],
    });
  let rest = ref.trim();
  if (rest === '' || /\s/.test(rest)) throw bad('empty or contains spaces');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: and 64 hex digits');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a tag`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!REGISTRY.test(registry)) throw bad(`"${registry}" is not a registry address`);
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    throw bad('repository names are lowercase letters, digits and separators');
  }
  return { registry, repository: parts.join('/'), ...(tag && { tag }), ...(digest && { digest }) };
}

/** `registry/repository`: what a cosign signature names as its docker-reference. */
export const repositoryName = (ref: ImageReference): string => `${ref.registry}/${ref.repository}`;

/** The reference as written back: `registry/repository[:tag][@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The tag under which cosign stores the signatures of a digest: `sha256-<hex>.sig`. */
export const signatureTag = (digest: string): string => `${digest.replace(':', '-')}.sig`;

/**
 * Whether `ref` matches a pattern of the file (`allowUnsigned`): the written form with `*` for any run of
 * characters but `/`, and `**` for any run at all; a pattern without a tag or digest matches every tag.
 */
export function matchesImagePattern(ref: ImageReference, pattern: string): boolean {
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  const re = new RegExp(`^${source}$`);
  const candidates = [
    formatImageReference(ref),
    repositoryName(ref),
    `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}`,
  ];
  // Docker Hub images may be named without their registry in the file.
  if (ref.registry === 'docker.io') {
    const short = ref.repository.replace(/^library\//, '');
    candidates.push(short, `${short}${ref.tag ? `:${ref.tag}` : ''}`);
  }
  return candidates.some((c) => re.test(c));
}
