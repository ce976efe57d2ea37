import { repositoryMatches } from './repository-pattern.js';

/**
 * What the immutable-tag gate (gate.ts) admits, decided from the request line and headers alone.
 *
 * The path is read as Distribution's router reads it (registry/api/v2/descriptors.go and routes.go: gorilla
 * mux over the decoded path, routes tried in their order, the name from reference.NameRegexp, a manifest
 * reference a tag `[\w][\w.-]{0,127}` or a digest), and only what is known safe is admitted:
 * - the path is in its one canonical form: no percent-encoding (Distribution would decode it), no `//`,
 *   `.`/`..` segments or trailing slash (gorilla would redirect or clean them), characters of the grammar
 *   only; the request target is origin-form (`/v2/…`), never absolute;
 * - a name is lower-case path components only: Distribution's grammar also allows a leading domain with
 *   capitals and a port, which no docker client sends in a path and no pattern could name;
 * - the route and method are one of the table below, in Distribution's order; anything else is refused;
 * - no method-override header (Distribution honours none; refusing them keeps any proxy behind from trying);
 * - in a repository that an immutable pattern names: a manifest PUT by tag is checked against the tag's
 *   current digest (gate.ts), a PUT by digest moves no tag and passes, a manifest DELETE (by tag it untags,
 *   by digest it untags every tag on it) is refused, as is any query string on a manifest PUT.
 */

/** One path component of a repository name (reference.NameRegexp without its optional domain). */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `${COMPONENT}(?:/${COMPONENT})*`;
/** reference.TagRegexp. */
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
/** go-digest's DigestRegexp. */
const DIGEST = '[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+';
const TAG_ONLY = new RegExp(`^${TAG}$`);
/** Distribution's limit on a repository name (reference.NameTotalLengthMax). */
const NAME_MAX = 255;
const PATH_MAX = 2048;
/** The characters any admitted path is made of. */
const PATH_CHARS = /^[A-Za-z0-9._:/=+-]+$/;

/** Distribution's routes in the order its router tries them, with the methods its handlers serve. */
export const ROUTES: readonly { name: string; path: RegExp; methods: readonly string[] }[] = [
  { name: 'base', path: /^\/v2\/$/, methods: ['GET', 'HEAD'] },
  { name: 'tags-list', path: new RegExp(`^/v2/(${NAME})/tags/list$`), methods: ['GET', 'HEAD'] },
  {
    name: 'manifest',
    path: new RegExp(`^/v2/(${NAME})/manifests/(${TAG}|${DIGEST})$`),
    methods: ['GET', 'HEAD', 'PUT', 'DELETE'],
  },
  {
    name: 'blob',
    path: new RegExp(`^/v2/(${NAME})/blobs/(${DIGEST})$`),
    methods: ['GET', 'HEAD', 'DELETE'],
  },
  { name: 'blob-upload', path: new RegExp(`^/v2/(${NAME})/blobs/uploads/$`), methods: ['POST'] },
  {
    name: 'blob-upload-chunk',
    path: new RegExp(`^/v2/(${NAME})/blobs/uploads/([a-zA-Z0-9_.=-]+)$`),
    methods: ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE'],
  },
  { name: 'catalog', path: /^\/v2\/_catalog$/, methods: ['GET', 'HEAD'] },
];

/** Headers that ask a server to act as another method: refused, whatever their value. */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/** The manifest types a checked push may carry: the digest of each is the SHA-256 of the bytes sent. */
export const CHECKED_MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/** Distribution's own limit on a manifest body (handlers/manifests.go maxManifestBodySize). */
export const MANIFEST_MAX_BYTES = 4 << 20;

/** A refusal, as Distribution's error JSON shows it in `docker push`. */
export interface GateRefusal {
  action: 'refuse';
  status: number;
  code: 'DENIED' | 'UNSUPPORTED' | 'NAME_INVALID' | 'MANIFEST_INVALID' | 'UNAVAILABLE' | 'UNAUTHORIZED';
  message: string;
}

export type GateVerdict =
  | GateRefusal
  | { action: 'pass' }
  /** A manifest PUT by tag in an immutable repository: the tag's current digest decides. */
  | { action: 'check-tag'; repository: string; tag: string; pattern: string };

const refuse = (status: number, code: GateRefusal['code'], message: string): GateRefusal => ({
  action: 'refuse',
  status,
  code,
  message,
});

/** The first immutable pattern that names `repository`, if any. */
export function immutablePattern(patterns: readonly string[], repository: string): string | undefined {
  return patterns.find((p) => repositoryMatches(p, repository));
}

/** What the gate does with a request, before reading its body. */
export function judgeRequest(
  method: string,
  target: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  immutable: readonly string[],
): GateVerdict {
  const override = METHOD_OVERRIDE_HEADERS.find((h) => headers[h] !== undefined);
  if (override) return refuse(400, 'UNSUPPORTED', `the registry refuses the ${override} header`);
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  if (
    !path.startsWith('/v2/') ||
    path.length > PATH_MAX ||
    !PATH_CHARS.test(path) ||
    /\/\/|\/\.\.?(?:\/|$)/.test(path)
  ) {
    return refuse(404, 'UNSUPPORTED', 'not a registry API path in its canonical form');
  }
  const route = ROUTES.map((r) => ({ r, m: r.path.exec(path) })).find((x) => x.m !== null);
  if (!route) return refuse(404, 'UNSUPPORTED', 'not a registry API path');
  if (!route.r.methods.includes(method))
    return refuse(405, 'UNSUPPORTED', `${method} is not served on ${route.r.name}`);
  const repository = route.m![1];
  if (repository === undefined) return { action: 'pass' };
  if (repository.length > NAME_MAX)
    return refuse(400, 'NAME_INVALID', 'the repository name is longer than 255 characters');
  if (route.r.name !== 'manifest' || method === 'GET' || method === 'HEAD') return { action: 'pass' };
  const pattern = immutablePattern(immutable, repository);
  if (pattern === undefined) return { action: 'pass' };
  const reference = route.m![2]!;
  const isTag = TAG_ONLY.test(reference);
  if (method === 'DELETE') {
    return refuse(
      403,
      'DENIED',
      `${repository} is immutable (registry.immutable '${pattern}'): its manifests and tags cannot be deleted`,
    );
  }
  if (query !== '')
    return refuse(400, 'UNSUPPORTED', 'a manifest push to an immutable repository takes no query string');
  if (!isTag) return { action: 'pass' };
  return { action: 'check-tag', repository, tag: reference, pattern };
}

/** The media type of a Content-Type header (lower case, without parameters), as Go's mime package reads it. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** What the tag's current state (Distribution's answer to HEAD on it) means for a push of `pushed`. */
export function judgeTagMove(
  head: { status: number; digest?: string | undefined },
  pushed: string,
  check: { repository: string; tag: string; pattern: string },
): GateRefusal | { action: 'pass' } | { action: 'relay' } {
  const ref = `${check.repository}:${check.tag}`;
  if (head.status === 404) return { action: 'pass' };
  if (head.status === 401) return { action: 'relay' };
  if (head.status === 200 && head.digest) {
    if (head.digest === pushed) return { action: 'pass' };
    return refuse(
      403,
      'DENIED',
      `tag ${ref} is immutable (registry.immutable '${check.pattern}') and already points at ${head.digest}; ` +
        `this push would move it to ${pushed}. Push the image under a new tag instead ` +
        `(pushing the same image again is fine).`,
    );
  }
  return refuse(
    503,
    'UNAVAILABLE',
    `could not read the current digest of ${ref} (HTTP ${head.status}), so the push is refused; try again`,
  );
}

/** Distribution's error body: what `docker push` prints is the message. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}
