import { createHash } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import { EectlError } from '../errors.js';
import { addSecret } from '../util/redact.js';

/**
 * Just enough of the OCI distribution API (the registry's `/v2/`) for signatures: read a manifest and
 * its digest, read and write blobs, write a manifest under a tag. HTTPS only, checked against the cluster
 * CA and the system's roots; HTTP basic auth, as the cluster registry's htpasswd asks for.
 */

/** Media types the client accepts for an image: single-platform manifests and indexes, OCI and Docker. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** A registry's `WWW-Authenticate: Bearer` challenge (Distribution's token authentication). */
export interface BearerChallenge {
  realm: string;
  service: string;
  /** What the refused request needed, e.g. `repository:web/app:pull,push`. */
  scope?: string;
}

export interface RegistryClientOptions {
  /** `host:port` of the registry. */
  registry: string;
  /** PEM CA certificates trusted besides the system's (the cluster CA). */
  ca?: string[];
  /** Basic auth (htpasswd), or the login the token service checks (token auth). */
  credentials?: RegistryCredentials;
  /**
   * Where tokens come from under token auth; default: the challenge's realm, asked with the credentials.
   * The managers' plugin mints its own with the token-signing key instead.
   */
  token?: (challenge: BearerChallenge) => Promise<string>;
  timeoutMs?: number;
}

/** A manifest as the registry served it. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export const sha256Digest = (data: Buffer): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

export class RegistryClient {
  private readonly authorization: string | undefined;
  /** The last bearer token, once the registry asked for one (it then never sees the password). */
  private bearer: string | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    const c = options.credentials;
    if (c) {
      this.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
      addSecret(c.password);
      addSecret(this.authorization.slice('Basic '.length));
    }
  }

  /** The manifest `reference` (a tag or a digest) of `repository`, or undefined when there is none. */
  async manifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const reply = await this.send('GET', `/v2/${repository}/manifests/${reference}`, {
      accept: MANIFEST_TYPES.join(', '),
    });
    if (reply.status === 404) return undefined;
    this.expect(reply, [200], `read the manifest ${repository}:${reference}`);
    const digest = sha256Digest(reply.body);
    const served = header(reply, 'docker-content-digest');
    if (served && served !== digest) {
      throw this.error(
        `the registry says ${repository}:${reference} is ${served}, but its bytes are ${digest}`,
      );
    }
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw this.error(`the manifest served for ${reference} has the digest ${digest}`);
    }
    const mediaType =
      header(reply, 'content-type')?.split(';')[0] ??
      (JSON.parse(reply.body.toString('utf8')) as { mediaType?: string }).mediaType ??
      '';
    return { digest, mediaType, body: reply.body };
  }

  /** Every repository of the registry (`/v2/_catalog`, followed page by page; at most `limit` pages). */
  async catalog(limit?: number): Promise<string[]> {
    return this.pages('/v2/_catalog?n=1000', 'list the repositories', (b) => b.repositories, limit);
  }

  /** Every tag of a repository (`/v2/<name>/tags/list`, page by page); none when the repository is gone. */
  async tags(repository: string): Promise<string[]> {
    return this.pages(`/v2/${repository}/tags/list?n=1000`, `list the tags of ${repository}`, (b) => b.tags);
  }

  /** Deletes a manifest by digest: every tag on it goes with it (storage.delete.enabled). */
  async deleteManifest(repository: string, digest: string): Promise<'deleted' | 'gone'> {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw this.error(`refused to delete ${digest}: not a digest`);
    const reply = await this.send('DELETE', `/v2/${repository}/manifests/${digest}`, {}, 0);
    if (reply.status === 404) return 'gone';
    this.expect(reply, [202], `delete ${repository}@${digest}`);
    return 'deleted';
  }

  private async pages(
    first: string,
    what: string,
    pick: (body: { repositories?: string[] | null; tags?: string[] | null }) => string[] | null | undefined,
    limit?: number,
  ): Promise<string[]> {
    const all: string[] = [];
    let path: string | undefined = first;
    for (let page = 0; path !== undefined; page++) {
      if (limit !== undefined && page >= limit) break;
      if (page >= 10_000) throw this.error(`${what}: the registry kept sending pages`);
      const reply = await this.send('GET', path);
      if (reply.status === 404 && all.length === 0) return [];
      this.expect(reply, [200], what);
      all.push(...(pick(JSON.parse(reply.body.toString('utf8')) as Parameters<typeof pick>[0]) ?? []));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(header(reply, 'link') ?? '')?.[1];
      const url = next === undefined ? undefined : new URL(next, `https://${this.options.registry}`);
      // Only pages of this registry: a Link elsewhere would carry the credentials away.
      path = url && url.host === this.options.registry ? `${url.pathname}${url.search}` : undefined;
    }
    return all;
  }

  /** A blob's bytes, checked against its digest. */
  async blob(repository: string, digest: string): Promise<Buffer> {
    const reply = await this.send('GET', `/v2/${repository}/blobs/${digest}`, {}, 0);
    this.expect(reply, [200], `read the blob ${digest} of ${repository}`);
    if (sha256Digest(reply.body) !== digest)
      throw this.error(`the blob ${digest} of ${repository} does not match its digest`);
    return reply.body;
  }

  /** Uploads a blob unless the repository has it already; returns its digest. */
  async pushBlob(repository: string, data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    const head = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`);
    if (head.status === 200) return digest;
    const start = await this.send('POST', `/v2/${repository}/blobs/uploads/`, {}, 0, Buffer.alloc(0));
    this.expect(start, [202], `start a blob upload to ${repository}`);
    const location = header(start, 'location');
    if (!location) throw this.error(`the registry gave no upload location for ${repository}`);
    const url = new URL(location, `https://${this.options.registry}`);
    url.searchParams.set('digest', digest);
    const put = await this.send(
      'PUT',
      `${url.pathname}${url.search}`,
      { 'content-type': 'application/octet-stream' },
      0,
      data,
    );
    this.expect(put, [201], `upload the blob ${digest} to ${repository}`);
    return digest;
  }

  /** Writes a manifest under `tag`; returns its digest. */
  async putManifest(repository: string, tag: string, body: Buffer, mediaType: string): Promise<string> {
    const reply = await this.send(
      'PUT',
      `/v2/${repository}/manifests/${tag}`,
      { 'content-type': mediaType },
      0,
      body,
    );
    this.expect(reply, [201], `write the manifest ${repository}:${tag}`);
    return sha256Digest(body);
  }

  private expect(reply: Reply, statuses: number[], what: string): void {
    if (statuses.includes(reply.status)) return;
    const text = reply.body.toString('utf8').slice(0, 300).trim();
    // Token auth: a token was given and the registry still refuses, so the login may not do this.
    const insufficient = /error="insufficient_scope"/.test(header(reply, 'www-authenticate') ?? '');
    const hint = insufficient
      ? 'The registry login may not do this: the token service granted less than this needs (eectl access log shows why; the catalog is for admins only).'
      : reply.status === 401
        ? 'Give registry credentials: EECTL_REGISTRY_USERNAME and EECTL_REGISTRY_PASSWORD, or `docker login` to this registry.'
        : reply.status === 403
          ? 'The registry user may not do this.'
          : undefined;
    throw this.error(`could not ${what}: HTTP ${reply.status}${text ? ` (${text})` : ''}`, hint);
  }

  private error(message: string, hint?: string): EectlError {
    return new EectlError(`registry ${this.options.registry}: ${message}`, {
      code: 'EREGISTRY',
      kind: 'external',
      suggestions: hint ? [hint] : [],
    });
  }

  /** Sends a request; a Bearer challenge is answered once with a token for the scope it names. */
  private async send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    redirects = 3,
    body?: Buffer,
  ): Promise<Reply> {
    const first = await this.sendOnce(method, path, headers, redirects, body, this.currentAuthorization());
    const challenge = first.status === 401 ? bearerChallenge(header(first, 'www-authenticate')) : undefined;
    if (!challenge) return first;
    this.bearer = await this.fetchToken(challenge);
    return this.sendOnce(method, path, headers, redirects, body, this.currentAuthorization());
  }

  private currentAuthorization(): string | undefined {
    return this.bearer !== undefined ? `Bearer ${this.bearer}` : this.authorization;
  }

  /** A token from the challenge's realm (HTTPS only, the same trust), or from the `token` option. */
  private async fetchToken(challenge: BearerChallenge): Promise<string> {
    if (this.options.token) return this.options.token(challenge);
    const realm = new URL(challenge.realm);
    if (realm.protocol !== 'https:') {
      throw this.error(`the registry sends logins to ${challenge.realm}, which is not HTTPS: refused`);
    }
    realm.searchParams.set('service', challenge.service);
    if (challenge.scope) realm.searchParams.set('scope', challenge.scope);
    const c = this.options.credentials;
    if (c) realm.searchParams.set('account', c.username);
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request(
        realm,
        {
          ca: [...rootCertificates, ...(this.options.ca ?? [])],
          timeout: this.options.timeoutMs ?? 30_000,
          headers: this.authorization ? { authorization: this.authorization } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`no answer within ${this.options.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', (e) => reject(this.error(`token service ${realm.host}: ${e.message}`)));
      req.end();
    });
    if (reply.status !== 200) {
      throw this.error(
        `the token service ${realm.host} refused a token (HTTP ${reply.status})`,
        reply.status === 401
          ? 'Give your registry login: EECTL_REGISTRY_USERNAME and EECTL_REGISTRY_PASSWORD, or `docker login` to this registry.'
          : undefined,
      );
    }
    const { token, access_token } = JSON.parse(reply.body.toString('utf8')) as {
      token?: string;
      access_token?: string;
    };
    const value = token ?? access_token;
    if (!value) throw this.error(`the token service ${realm.host} answered without a token`);
    addSecret(value);
    return value;
  }

  private sendOnce(
    method: string,
    path: string,
    headers: Record<string, string>,
    redirects: number,
    body: Buffer | undefined,
    authorization: string | undefined,
  ): Promise<Reply> {
    const [hostname, port] = splitHostPort(this.options.registry);
    const options: RequestOptions = {
      method,
      hostname,
      port,
      path,
      ca: [...rootCertificates, ...(this.options.ca ?? [])],
      timeout: this.options.timeoutMs ?? 30_000,
      headers: {
        ...headers,
        ...(authorization && { authorization }),
        ...(body && { 'content-length': String(body.length) }),
      },
    };
    return new Promise<Reply>((resolve, reject) => {
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const reply = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
          const location = header(reply, 'location');
          // Blob reads may be redirected to the storage (S3); only within the same registry here.
          if ([301, 302, 307].includes(reply.status) && location && redirects > 0 && method === 'GET') {
            const next = new URL(location, `https://${this.options.registry}`);
            if (next.host === this.options.registry) {
              resolve(
                this.sendOnce(
                  method,
                  `${next.pathname}${next.search}`,
                  headers,
                  redirects - 1,
                  undefined,
                  authorization,
                ),
              );
              return;
            }
          }
          resolve(reply);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeout} ms`)));
      req.on('error', (e) =>
        reject(
          new EectlError(`registry ${this.options.registry}: ${e.message}`, {
            code: 'EREGISTRY',
            kind: 'external',
            cause: e,
            suggestions: [
              'Check that the registry answers on that address, and that its certificate is from the cluster CA.',
            ],
          }),
        ),
      );
      req.end(body);
    });
  }
}

/** The Bearer challenge of a WWW-Authenticate header (quoted parameters, as Distribution writes them). */
export function bearerChallenge(value: string | undefined): BearerChallenge | undefined {
  if (!value || !/^bearer\s/i.test(value)) return undefined;
  const params: Record<string, string> = {};
  for (const m of value.slice(7).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/gi)) {
    params[m[1]!.toLowerCase()] = m[2]!.replace(/\\(.)/g, '$1');
  }
  if (!params.realm || params.service === undefined) return undefined;
  return { realm: params.realm, service: params.service, ...(params.scope && { scope: params.scope }) };
}

function header(reply: Reply, name: string): string | undefined {
  const v = reply.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function splitHostPort(registry: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(registry);
  const host = (m?.[1] ?? registry).replace(/^\[|\]$/g, '');
  return [host, m?.[2] ? Number(m[2]) : 443];
}
