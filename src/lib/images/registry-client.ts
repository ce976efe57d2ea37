import { createHash } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import { EectlError } from '../errors.js';
import { addSecret } from '../ui/redact.js';

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

export interface RegistryClientOptions {
  /** `host:port` of the registry. */
  registry: string;
  /** PEM CA certificates trusted besides the system's (the cluster CA). */
  ca?: string[];
  credentials?: RegistryCredentials;
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
    const hint =
      reply.status === 401
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

  private send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    redirects = 3,
    body?: Buffer,
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
        ...(this.authorization && { authorization: this.authorization }),
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
              resolve(this.send(method, `${next.pathname}${next.search}`, headers, redirects - 1));
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

function header(reply: Reply, name: string): string | undefined {
  const v = reply.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function splitHostPort(registry: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(registry);
  const host = (m?.[1] ?? registry).replace(/^\[|\]$/g, '');
  return [host, m?.[2] ? Number(m[2]) : 443];
}
