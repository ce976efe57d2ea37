import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { AccessPolicy, Decision, RegistryRules } from './model.js';
import { CERT_BACKDATE_MS } from './paths.js';
import { CA_FILE, ENGINE_SOCKET, PLUGIN_SOCKET, POLICY_FILE, WATCHER_USER } from '../host-layout.js';
import { decide, type Identity, type Lookup } from './policy.js';
import type { ResourceKind } from './routes.js';
import { cachedSignatures, registrySignatures } from './signed-images.js';
import { issuerIn, parseTrustBundle } from '../pki/trust-bundle.js';

/**
 * The engine authorization plugin (docker.authz/1.0, a legacy plugin on a unix socket) that every manager
 * runs under systemd, and the same code as `eectl access check` runs it on a manager. Each decision is one
 * JSON line on stdout: the audit log, in journald.
 */

/** The request the engine sends to /AuthZPlugin.AuthZReq (Go's []byte fields are base64). */
export interface EngineAuthzRequest {
  User?: string;
  UserAuthNMethod?: string;
  RequestMethod?: string;
  RequestUri?: string;
  RequestBody?: string;
  RequestHeaders?: Record<string, string>;
  RequestPeerCertificates?: string[];
}

/** Marks the plugin's own look-ups on the local socket, which the audit log leaves out. */
const LOOKUP_AGENT = 'eectl-authz-lookup';
const LOOKUP_TIMEOUT_MS = 10_000;
/** How often the policy and CA files are checked for a change. */
const RELOAD_EVERY_MS = 1000;

const INSPECT_PATHS: Record<ResourceKind, (id: string) => string> = {
  service: (id) => `/services/${id}`,
  task: (id) => `/tasks/${id}`,
  container: (id) => `/containers/${id}/json`,
  exec: (id) => `/exec/${id}/json`,
  network: (id) => `/networks/${id}`,
  volume: (id) => `/volumes/${id}`,
  secret: (id) => `/secrets/${id}`,
  config: (id) => `/configs/${id}`,
  node: (id) => `/nodes/${id}`,
};

/** One GET on the engine's local socket: its JSON, undefined on 404. */
function engineGet(socketPath: string, path: string, what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { socketPath, path, headers: { 'User-Agent': LOOKUP_AGENT }, timeout: LOOKUP_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 404) return resolve(undefined);
          if (res.statusCode !== 200)
            return reject(new Error(`engine answered ${res.statusCode} for ${what}`));
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error(`engine answered with something not JSON for ${what}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`engine look-up of ${what} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Looks resources up on the engine's local socket (root, unrestricted; the plugin allows it). */
export function engineLookup(socketPath = ENGINE_SOCKET): Lookup {
  return {
    inspect: (kind, id) =>
      engineGet(socketPath, INSPECT_PATHS[kind](encodeURIComponent(id)), `${kind} ${id}`),
    services: async () => {
      const all = await engineGet(socketPath, '/services', 'the service list');
      if (!Array.isArray(all)) throw new Error('engine answered the service list with something not a list');
      return all;
    },
  };
}

/**
 * What the plugin looks things up with: the engine's local socket for resources, the cluster registry for
 * image signatures (verified digests cached for the life of the process).
 */
export function pluginLookup(registryRules?: () => RegistryRules | undefined): Lookup {
  return {
    ...engineLookup(),
    signatures: cachedSignatures(registrySignatures(registryRules ? { registryRules } : {})),
  };
}

/** Reads a file again when its size or modification time changed; keeps the last good value otherwise. */
export class Reloading<T> {
  private value: T | undefined;
  private stamp = '';
  private checkedAt = 0;

  constructor(
    private readonly file: string,
    private readonly parse: (text: string) => T,
    private readonly onError: (message: string) => void,
  ) {}

  get(now = Date.now()): T | undefined {
    if (now - this.checkedAt < RELOAD_EVERY_MS) return this.value;
    this.checkedAt = now;
    try {
      const s = statSync(this.file);
      const stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
      if (stamp === this.stamp) return this.value;
      this.value = this.parse(readFileSync(this.file, 'utf8'));
      this.stamp = stamp;
    } catch (error) {
      this.onError(
        `${this.file}: ${(error as Error).message}${this.value ? ' (keeping the last good copy)' : ''}`,
      );
    }
    return this.value;
  }
}

/** A policy file's content, checked for the shape the decision relies on. */
export function parsePolicy(text: string): AccessPolicy {
  const value = JSON.parse(text) as AccessPolicy;
  if (value?.version !== 1 || !Array.isArray(value.users) || !Array.isArray(value.grants)) {
    throw new Error('not an eectl access policy (version 1)');
  }
  const images = value.images;
  if (
    images !== undefined &&
    !(['keys', 'scoped', 'allowUnsigned', 'ownImages', 'registries'] as const).every((k) =>
      Array.isArray(images[k]),
    )
  ) {
    throw new Error('its images section is not an eectl image policy');
  }
  return { ...value, teams: value.teams ?? [], revoked: value.revoked ?? [] };
}

/**
 * The CAs of the cluster CA file: one, or during a cluster CA rotation the old and the new one (a
 * certificate is good when either issued it).
 */
export type ClusterCas = readonly X509Certificate[];

/** Certificates already checked against the CAs (a client sends the same one on every request). */
const verified = new Map<string, { cas: ClusterCas; cert: X509Certificate | string }>();
const VERIFIED_MAX = 1000;

/** The client certificate, signed by one of the CAs; else why not. Cached: a signature check costs more than a decision. */
function verifiedCertificate(encoded: string, cas: ClusterCas): X509Certificate | string {
  const hit = verified.get(encoded);
  if (hit && hit.cas === cas) return hit.cert;
  let cert: X509Certificate | string;
  try {
    const parsed = new X509Certificate(Buffer.from(encoded, 'base64').toString('utf8'));
    cert = issuerIn(parsed, cas) ? parsed : 'not issued by the cluster CA';
  } catch {
    cert = 'the client certificate could not be read';
  }
  if (verified.size >= VERIFIED_MAX) verified.clear();
  verified.set(encoded, { cas, cert });
  return cert;
}

/** Who sent a request, from the engine's User field and the client certificate chain. */
export function identify(req: EngineAuthzRequest, ca: ClusterCas | undefined): Identity {
  const chain = req.RequestPeerCertificates ?? [];
  if (chain.length === 0) {
    // Every TCP listener has --tlsverify, so only the local socket has no client certificate.
    return req.User ? { kind: 'invalid', why: 'a user without a certificate' } : { kind: 'local' };
  }
  return certificateIdentity(chain[0]!, ca, req.User);
}

/**
 * Who a client certificate (base64 of its PEM, as the engine passes it) names: its CN when a CA of the
 * cluster CA file issued it and it is valid now, and when `expectedUser` (the engine's User field) is empty or the
 * same. The plugin and the registry's token service judge certificates with this one function.
 */
export function certificateIdentity(
  encoded: string,
  ca: ClusterCas | undefined,
  expectedUser?: string,
): Identity {
  if (!ca) return { kind: 'invalid', why: `no cluster CA in ${CA_FILE} to check it against` };
  const cert = verifiedCertificate(encoded, ca);
  if (typeof cert === 'string') return { kind: 'invalid', why: cert };
  const now = Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
    return { kind: 'invalid', why: 'expired or not yet valid' };
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  if (!cn || (expectedUser !== undefined && expectedUser !== '' && expectedUser !== cn)) {
    return { kind: 'invalid', why: 'its subject has no common name matching the engine’s user' };
  }
  return { kind: 'certificate', user: cn, issuedAt: new Date(Date.parse(cert.validFrom) + CERT_BACKDATE_MS) };
}

/** One audit line. */
export function auditLine(decision: Decision, method: string, uri: string, now = new Date()): string {
  return JSON.stringify({
    time: now.toISOString(),
    user: decision.user,
    method,
    path: uri.split('?')[0],
    resource: decision.resource,
    action: decision.action,
    allow: decision.allow,
    reason: decision.reason,
  });
}

export interface PluginOptions {
  socket?: string;
  policyFile?: string;
  caFile?: string;
  lookup?: Lookup;
  log?: (line: string) => void;
}

/** Answers the engine's authorization calls on a unix socket; resolves once listening. */
export async function servePlugin(options: PluginOptions = {}): Promise<{ close: () => Promise<void> }> {
  const socket = options.socket ?? PLUGIN_SOCKET;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const warn = (message: string) => log(JSON.stringify({ time: new Date().toISOString(), error: message }));
  const policy = new Reloading(options.policyFile ?? POLICY_FILE, parsePolicy, warn);
  const ca = new Reloading(options.caFile ?? CA_FILE, parseTrustBundle, warn);
  const lookup = options.lookup ?? pluginLookup(() => policy.get()?.registry);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void answer(req.url ?? '', Buffer.concat(chunks)).then(
        (body) => reply(res, 200, body),
        (error: unknown) =>
          reply(res, 200, { Allow: false, Msg: `eectl-authz failed: ${(error as Error).message}` }),
      );
    });
  });

  async function answer(url: string, raw: Buffer): Promise<unknown> {
    if (url === '/Plugin.Activate') return { Implements: ['authz'] };
    if (url === '/AuthZPlugin.AuthZRes') return { Allow: true };
    if (url !== '/AuthZPlugin.AuthZReq') return { Err: `unknown call ${url}` };
    const engineReq = JSON.parse(raw.toString('utf8')) as EngineAuthzRequest;
    const method = engineReq.RequestMethod ?? '';
    const uri = engineReq.RequestUri ?? '';
    const identity = identify(engineReq, ca.get());
    const body = engineReq.RequestBody ? Buffer.from(engineReq.RequestBody, 'base64') : undefined;
    const decision = await decide(policy.get(), { method, uri, body, identity }, lookup);
    const ownLookup = identity.kind === 'local' && engineReq.RequestHeaders?.['User-Agent'] === LOOKUP_AGENT;
    // The ingress watcher reads every second on every manager: its admitted reads would bury the log.
    // Its writes and anything refused to it are logged.
    const watcherRead =
      identity.kind === 'certificate' && identity.user === WATCHER_USER && method === 'GET' && decision.allow;
    if (!ownLookup && !watcherRead) log(auditLine(decision, method, uri));
    return decision.allow
      ? { Allow: true }
      : { Allow: false, Msg: `${decision.reason} [${decision.user}: ${decision.action}]` };
  }

  mkdirSync(dirname(socket), { recursive: true });
  rmSync(socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  policy.get();
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/vnd.docker.plugins.v1+json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** `node plugin.js check`: one decision for `eectl access check`, from a JSON request on stdin. */
export async function checkFromStdin(
  input: string,
  options: { policyFile?: string; lookup?: Lookup } = {},
): Promise<unknown> {
  const req = JSON.parse(input) as { method: string; uri: string; user: string; body?: string };
  const policy = parsePolicy(readFileSync(options.policyFile ?? POLICY_FILE, 'utf8'));
  const decision = await decide(
    policy,
    {
      method: req.method,
      uri: req.uri,
      body: req.body === undefined ? undefined : Buffer.from(req.body, 'base64'),
      identity: { kind: 'certificate', user: req.user, issuedAt: new Date() },
    },
    options.lookup ?? pluginLookup(() => policy.registry),
  );
  return decision;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'check') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    process.stdout.write(`${JSON.stringify(await checkFromStdin(Buffer.concat(chunks).toString('utf8')))}\n`);
    return;
  }
  await servePlugin();
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && /plugin\.m?js$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`eectl-authz: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
