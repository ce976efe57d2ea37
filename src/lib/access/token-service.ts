import { spawnSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import { directoryBind } from './directory-bind.js';
import { BCRYPT_HASH, type AccessPolicy, type PolicyUser } from './model.js';
import {
  CA_FILE,
  POLICY_FILE,
  REGISTRY_LOGINS_FILE,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
  TOKEN_SERVICE_NAME,
  TOKEN_SIGNING_KEY_FILE,
  TOKEN_UNIT_NAME,
} from '../host-layout.js';
import { certificateIdentity, parsePolicy, Reloading } from './plugin.js';
import { parseTrustBundle } from '../pki/trust-bundle.js';
import {
  decideMirrorScopes,
  decideScopes,
  formatScope,
  parseScopes,
  validRepositoryName,
  type RegistryAccess,
} from './registry-scopes.js';
import { signRegistryToken } from './registry-token.js';

/**
 * The registry's token service (Distribution's token authentication, docs/spec/auth/token.md), run on
 * every manager beside the authorization plugin under systemd (eectl-token.service). It answers
 * `GET /token?service=…&scope=…` over HTTPS with the manager's engine API certificate: who asks is a
 * file user (bcrypt hash), a directory user (an LDAP bind as their DN) or a client certificate of the
 * cluster CA; what they get is decided by registry-scopes.ts from the access policy. Every token issued
 * or refused is one JSON line on stdout (journald): the audit log.
 *
 * Run once as `node token-service.js check` or `… mint` (root over SSH, the request on stdin) it answers
 * one question and exits: `mint` is how eectl gets its own short tokens (mintFromStdin): the signing key
 * never leaves the manager.
 */

/** File users' registry password hashes, as install writes them (root, 0600). */
export interface RegistryLogins {
  users: Record<string, string>;
}

/** Compared when the user is unknown, so the answer takes as long as for a known one. */
const DUMMY_HASH = '$2b$10$vfPupPo87TqxCob.9EXJ/OOnexup.3WROH/v1v77FAjtXXWRM6GUC';
/** A login name as the access model spells users (schema.ts accessUserNameSchema). */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MAX_PASSWORD = 1024;
const MAX_SCOPES = 32;

/** Reads a logins file, keeping only well-formed hashes. */
export function parseLogins(text: string): RegistryLogins {
  const value = JSON.parse(text) as Partial<RegistryLogins>;
  if (typeof value !== 'object' || value === null || typeof value.users !== 'object' || !value.users) {
    throw new Error('not an eectl registry logins file');
  }
  const users: Record<string, string> = {};
  for (const [name, hash] of Object.entries(value.users)) {
    if (typeof hash === 'string' && BCRYPT_HASH.test(hash)) users[name] = hash;
  }
  return { users };
}

/**
 * An `Authorization: Basic` header read as Go's net/http Request.BasicAuth reads it (Distribution's and
 * the docker CLI's side): the scheme case-insensitive, strict standard base64, split at the first `:`.
 * Undefined when it is not one.
 */
export function parseBasicAuth(header: string): { user: string; password: string } | undefined {
  if (header.length > 8192 || !/^basic /i.test(header)) return undefined;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Failed logins per key (a user name, an address) in a sliding minute: past `max`, further attempts are
 * refused without checking the password. Memory is bounded: the oldest keys go first when full.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  blocked(keys: readonly string[], now = Date.now()): boolean {
    return keys.some((k) => {
      const f = this.failures.get(k);
      if (!f) return false;
      if (now - f.since > this.windowMs) {
        this.failures.delete(k);
        return false;
      }
      return f.count >= this.max;
    });
  }

  fail(keys: readonly string[], now = Date.now()): void {
    for (const k of keys) {
      const f = this.failures.get(k);
      if (f && now - f.since <= this.windowMs) {
        f.count += 1;
        continue;
      }
      this.failures.delete(k);
      if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
      this.failures.set(k, { count: 1, since: now });
    }
  }

  get size(): number {
    return this.failures.size;
  }
}

/** How the caller proved who they are. */
export type LoginMethod = 'password' | 'directory' | 'certificate' | 'none';

type Authentication =
  | { user: PolicyUser; method: LoginMethod }
  | { refused: string; status: number; method: LoginMethod; user?: string };

/** How eectl's own tokens are asked for: `token-service.js mint`, run as root over SSH. */
export const MINT_LOGIN = 'root over ssh';

/** One audit line: a token issued or refused. */
export function tokenAuditLine(entry: {
  user: string;
  method: LoginMethod | typeof MINT_LOGIN;
  remote: string;
  /** The request's method and path; default GET /token (the HTTPS service). */
  request?: { method: string; path: string };
  asked: readonly string[];
  granted: readonly RegistryAccess[];
  allow: boolean;
  reason: string;
  now?: Date;
}): string {
  return JSON.stringify({
    time: (entry.now ?? new Date()).toISOString(),
    user: entry.user,
    method: entry.request?.method ?? 'GET',
    path: entry.request?.path ?? '/token',
    resource: 'registry token',
    action: `token (${entry.method})`,
    auth: entry.method,
    remote: entry.remote,
    scopes: entry.asked,
    granted: entry.granted.map(formatScope),
    allow: entry.allow,
    reason: entry.reason,
  });
}

export interface TokenServiceOptions {
  port: number;
  host?: string;
  policyFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  signingKeyFile?: string;
  loginsFile?: string;
  log?: (line: string) => void;
  limiter?: FailureLimiter;
}

/** Serves tokens until closed; resolves once listening (with the port, 0 in options picks one). */
export async function serveTokens(
  options: TokenServiceOptions,
): Promise<{ port: number; close: () => Promise<void> }> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const warn = (message: string) => log(JSON.stringify({ time: new Date().toISOString(), error: message }));
  const policies = new Reloading(options.policyFile ?? POLICY_FILE, parsePolicy, warn);
  const ca = new Reloading(options.caFile ?? CA_FILE, parseTrustBundle, warn);
  const logins = new Reloading(options.loginsFile ?? REGISTRY_LOGINS_FILE, parseLogins, warn);
  const signingKey = new Reloading(
    options.signingKeyFile ?? TOKEN_SIGNING_KEY_FILE,
    (t): KeyObject => createPrivateKey(t),
    warn,
  );
  const limiter = options.limiter ?? new FailureLimiter();
  const certFile = options.certFile ?? SERVER_CERT_FILE;
  const keyFile = options.keyFile ?? SERVER_KEY_FILE;
  const caFile = options.caFile ?? CA_FILE;
  const tlsFiles = () => ({
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    ca: [readFileSync(caFile, 'utf8')],
  });

  async function authenticate(req: IncomingMessage, policy: AccessPolicy, remote: string) {
    const header = req.headers.authorization;
    if (header !== undefined) return passwordLogin(header, policy, remote);
    const peer = (req.socket as TLSSocket).getPeerX509Certificate?.();
    if (peer) {
      const id = certificateIdentity(Buffer.from(peer.toString()).toString('base64'), ca.get());
      if (id.kind !== 'certificate') {
        return {
          refused: `client certificate refused: ${id.kind === 'invalid' ? id.why : id.kind}`,
          status: 401,
          method: 'certificate',
        } satisfies Authentication;
      }
      const user = policy.users.find((u) => u.name === id.user);
      if (!user)
        return {
          refused: `${id.user} is not a user of the access policy`,
          status: 401,
          method: 'certificate',
          user: id.user,
        } satisfies Authentication;
      const revoked = policy.revoked.find((r) => r.user === id.user && id.issuedAt < new Date(r.since));
      if (revoked) {
        return {
          refused: `the certificates of ${id.user} issued before ${revoked.since} are revoked`,
          status: 401,
          method: 'certificate',
          user: id.user,
        } satisfies Authentication;
      }
      return { user, method: 'certificate' } satisfies Authentication;
    }
    return { refused: 'no credentials', status: 401, method: 'none' } satisfies Authentication;
  }

  async function passwordLogin(
    header: string,
    policy: AccessPolicy,
    remote: string,
  ): Promise<Authentication> {
    const basic = parseBasicAuth(header);
    if (!basic)
      return { refused: 'the Authorization header is not HTTP basic auth', status: 401, method: 'password' };
    const name = basic.user;
    if (!USER_NAME.test(name) || basic.password.length > MAX_PASSWORD) {
      return {
        refused: 'not a user name of the access policy',
        status: 401,
        method: 'password',
        user: name.slice(0, 64),
      };
    }
    const keys = [`user:${name}`, `address:${remote}`];
    if (limiter.blocked(keys)) {
      return {
        refused: 'too many failed logins for this user or address: wait a minute',
        status: 429,
        method: 'password',
        user: name,
      };
    }
    const user = policy.users.find((u) => u.name === name);
    const refuse = (why: string, method: LoginMethod): Authentication => {
      limiter.fail(keys);
      return { refused: why, status: 401, method, user: name };
    };
    if (user?.source === 'ldap') {
      if (!policy.directory || !user.dn)
        return refuse('the policy has no directory to check this user against', 'directory');
      const bound = await directoryBind(policy.directory, user.dn, basic.password);
      if (bound.ok) return { user, method: 'directory' };
      if (!bound.wrongPassword) {
        warn(`directory unreachable, login of ${name} refused (fail closed): ${bound.why}`);
        return { refused: `login refused: ${bound.why}`, status: 401, method: 'directory', user: name };
      }
      return refuse(`wrong password (${bound.why})`, 'directory');
    }
    const hash = user ? logins.get()?.users[name] : undefined;
    const matches = await bcrypt.compare(basic.password, hash ?? DUMMY_HASH);
    if (!user) return refuse(`${name} is not a user of the access policy`, 'password');
    if (!hash)
      return refuse(`${name} has no registry password (spec.access.users[].passwordHashEnv)`, 'password');
    return matches ? { user, method: 'password' } : refuse('wrong password', 'password');
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress ?? '?';
    const url = new URL(req.url ?? '/', 'https://token.invalid');
    if (url.pathname !== '/token')
      return reply(res, 404, errorBody('NOT_FOUND', 'only /token is served here'));
    if (req.method !== 'GET') return reply(res, 405, errorBody('UNSUPPORTED', 'GET /token only'));
    const asked = url.searchParams.getAll('scope').slice(0, MAX_SCOPES);
    const audit = (
      user: string,
      method: LoginMethod,
      allow: boolean,
      reason: string,
      granted: RegistryAccess[] = [],
    ) => log(tokenAuditLine({ user, method, remote, asked, granted, allow, reason }));
    const policy = policies.get();
    const rules = policy?.registry;
    if (!policy || !rules) {
      audit(
        '(unknown)',
        'none',
        false,
        'no registry rules in the access policy on this manager (fail closed)',
      );
      return reply(res, 503, errorBody('UNAVAILABLE', 'the token service has no registry policy'));
    }
    const service = url.searchParams.get('service');
    // The registry, or one of its mirrors: a token is good only for the service it was asked for.
    const mirror = rules.mirrors?.find((m) => m.service === service);
    if (service !== rules.service && !mirror) {
      audit('(unknown)', 'none', false, `service ${JSON.stringify(service)} is not ${rules.service}`);
      return reply(
        res,
        400,
        errorBody('INVALID_REQUEST', `unknown service; this service issues tokens for ${rules.service}`),
      );
    }
    const who = await authenticate(req, policy, remote);
    if ('refused' in who) {
      audit(who.user ?? '(unknown)', who.method, false, who.refused);
      res.setHeader('WWW-Authenticate', `Basic realm=${JSON.stringify(`eectl ${policy.cluster} registry`)}`);
      return reply(
        res,
        who.status,
        errorBody(
          who.status === 429 ? 'TOOMANYREQUESTS' : 'UNAUTHORIZED',
          who.status === 429 ? who.refused : 'authentication required',
        ),
      );
    }
    const account = url.searchParams.get('account');
    if (account !== null && account !== '' && account !== who.user.name) {
      audit(
        who.user.name,
        who.method,
        false,
        `account ${JSON.stringify(account)} is not the user who signed in`,
      );
      return reply(res, 400, errorBody('INVALID_REQUEST', 'account does not match the signed-in user'));
    }
    const key = signingKey.get();
    if (!key) {
      audit(who.user.name, who.method, false, 'no token-signing key on this manager (fail closed)');
      return reply(res, 503, errorBody('UNAVAILABLE', 'the token service has no signing key'));
    }
    const decisions = mirror
      ? decideMirrorScopes(policy, who.user.name, mirror.name, parseScopes(asked))
      : decideScopes(policy, who.user.name, parseScopes(asked));
    const granted = decisions
      .map((d) => ({ ...d.requested, actions: d.granted }))
      .filter((a) => a.actions.length > 0);
    const issued = signRegistryToken({
      key,
      issuer: rules.issuer,
      audience: mirror ? mirror.service : rules.service,
      subject: who.user.name,
      access: granted,
      expirySeconds: rules.expirySeconds,
    });
    audit(
      who.user.name,
      who.method,
      true,
      decisions.map((d) => `${formatScope(d.requested)}: ${d.reason}`).join('; ') || 'login',
      granted,
    );
    reply(res, 200, {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt,
    });
  }

  const server = createServer(
    { ...tlsFiles(), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    (req, res) => {
      req.resume();
      answer(req, res).catch((error: unknown) => {
        warn(`token request failed: ${(error as Error).message}`);
        if (!res.headersSent) reply(res, 500, errorBody('UNKNOWN', 'the token service failed; see its log'));
      });
    },
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // A renewed server certificate is taken up without a restart.
  let stamp = fileStamp(certFile) + fileStamp(keyFile);
  const watch = setInterval(() => {
    const now = fileStamp(certFile) + fileStamp(keyFile);
    if (now === stamp) return;
    try {
      server.setSecureContext({ ...tlsFiles() });
      stamp = now;
    } catch (error) {
      warn(`could not load the renewed server certificate: ${(error as Error).message}`);
    }
  }, 5000);
  watch.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  policies.get();
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise((resolve) => {
        clearInterval(watch);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ino};`;
  } catch {
    return 'missing;';
  }
}

function errorBody(code: string, message: string): unknown {
  return { errors: [{ code, message }] };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** `node token-service.js check`: the registry decision for `eectl access check --registry-scope`. */
export function checkScopesFromStdin(input: string, policyFile = POLICY_FILE): unknown {
  const req = JSON.parse(input) as { user: string; scopes: string[] };
  const policy = parsePolicy(readFileSync(policyFile, 'utf8'));
  if (!policy.registry) {
    return { user: req.user, tokenAuth: false, decisions: [] };
  }
  const known = policy.users.some((u) => u.name === req.user);
  const decisions = decideScopes(policy, req.user, parseScopes(req.scopes)).map((d) => ({
    scope: formatScope(d.requested),
    granted: d.granted,
    reason: d.reason,
  }));
  return { user: req.user, tokenAuth: true, known, decisions };
}

/** How long eectl's own tokens live (`mint`), whatever the policy's expiry. */
export const MINT_SECONDS = 60;
/** What eectl's own tokens may carry: the catalog, and pull and delete of repositories. Never push. */
const MINT_ACTIONS: Record<string, readonly string[]> = { registry: ['*'], repository: ['pull', 'delete'] };
/** Who asks: `eectl-admin@<the user on eectl's machine>`. */
export const MINT_SUBJECT = /^eectl-admin@[A-Za-z0-9._-]{1,64}$/;
const MINT_MAX_INPUT = 16 * 1024;
const MINT_MAX_SCOPES = 16;
const MINT_MAX_SCOPE_LENGTH = 512;

/** What `mint` answers: a token, or why not; either way exactly one audit line. */
export type MintOutcome =
  | { allow: true; token: string; expiresIn: number; audit: string }
  | { allow: false; reason: string; audit: string };

/**
 * `node token-service.js mint`: a token for eectl itself (`registry ls`, `registry prune` with no registry
 * login on eectl's machine), signed here with this manager's key, which never leaves it. The request on
 * stdin is `{"service": …, "subject": "eectl-admin@<user>", "scopes": ["registry:catalog:*", …]}`; only
 * this registry's service, the catalog and pull and delete of valid repository names are admitted, and
 * a request asking for anything else (push, `*` on a repository, another resource) is refused whole.
 * The token lives MINT_SECONDS.
 */
export function mintFromStdin(
  input: string,
  files: { policyFile?: string; keyFile?: string } = {},
  now: Date = new Date(),
): MintOutcome {
  let user = '(unknown)';
  let asked: string[] = [];
  const audit = (allow: boolean, reason: string, granted: RegistryAccess[] = []) =>
    tokenAuditLine({
      user,
      method: MINT_LOGIN,
      remote: 'ssh',
      request: { method: 'SSH', path: 'mint' },
      asked,
      granted,
      allow,
      reason,
      now,
    });
  const refuse = (reason: string): MintOutcome => ({ allow: false, reason, audit: audit(false, reason) });
  if (input.length > MINT_MAX_INPUT) return refuse(`the request is over ${MINT_MAX_INPUT} bytes`);
  let req: unknown;
  try {
    req = JSON.parse(input);
  } catch {
    return refuse('the request is not JSON');
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req))
    return refuse('the request is not an object');
  const { service, subject, scopes, ...rest } = req as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    return refuse(`unknown fields: ${Object.keys(rest).slice(0, 5).join(', ')}`);
  if (typeof subject !== 'string' || !MINT_SUBJECT.test(subject))
    return refuse('the subject is not eectl-admin@<user>');
  user = subject;
  if (
    !Array.isArray(scopes) ||
    scopes.length > MINT_MAX_SCOPES ||
    !scopes.every((s): s is string => typeof s === 'string' && s.length <= MINT_MAX_SCOPE_LENGTH)
  )
    return refuse(`scopes must be a list of at most ${MINT_MAX_SCOPES} strings`);
  asked = scopes;
  let policy: AccessPolicy;
  try {
    policy = parsePolicy(readFileSync(files.policyFile ?? POLICY_FILE, 'utf8'));
  } catch (error) {
    return refuse(`no access policy on this manager (fail closed): ${(error as Error).message}`);
  }
  const rules = policy.registry;
  if (!rules) return refuse('no registry rules in the access policy on this manager (fail closed)');
  if (service !== rules.service) return refuse(`service ${JSON.stringify(service)} is not ${rules.service}`);
  const access: RegistryAccess[] = [];
  for (const scope of scopes) {
    const parsed = parseScopes([scope]);
    const a = parsed[0];
    const admitted =
      parsed.length === 1 &&
      a !== undefined &&
      a.class === undefined &&
      (a.type === 'registry'
        ? a.name === 'catalog'
        : a.type === 'repository' && validRepositoryName(a.name)) &&
      a.actions.length > 0 &&
      a.actions.every((x) => MINT_ACTIONS[a.type]?.includes(x) === true);
    if (!admitted)
      return refuse(`${JSON.stringify(scope)}: eectl's own tokens carry only the catalog, pull and delete`);
    access.push(...parseScopes([scope]));
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(files.keyFile ?? TOKEN_SIGNING_KEY_FILE));
  } catch {
    return refuse('no token-signing key on this manager (fail closed)');
  }
  const merged = parseScopes(access.map(formatScope));
  const issued = signRegistryToken({
    key,
    issuer: rules.issuer,
    audience: rules.service,
    subject,
    access: merged,
    expirySeconds: MINT_SECONDS,
    now,
  });
  return {
    allow: true,
    token: issued.token,
    expiresIn: issued.expiresIn,
    audit: audit(true, "eectl's own token (catalog, pull, delete)", merged),
  };
}

/**
 * The audit line of `mint` into the journal beside the service's own (`journalctl -u eectl-token`, what
 * `eectl access log` reads): root's entry about the unit (OBJECT_SYSTEMD_UNIT, trusted with _UID=0).
 */
function journalAudit(line: string): void {
  const r = spawnSync('logger', ['--journald'], {
    input: `MESSAGE=${line}\nSYSLOG_IDENTIFIER=${TOKEN_SERVICE_NAME}\nOBJECT_SYSTEMD_UNIT=${TOKEN_UNIT_NAME}\n`,
    timeout: 10_000,
  });
  if (r.status !== 0) {
    throw new Error(
      `could not write the audit line to the journal (logger --journald: ${r.error?.message ?? r.stderr.toString().trim()}): no token`,
    );
  }
}

async function readStdin(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > limit) return '\u0000'.repeat(limit + 1);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'check') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    process.stdout.write(`${JSON.stringify(checkScopesFromStdin(Buffer.concat(chunks).toString('utf8')))}\n`);
    return;
  }
  if (argv[0] === 'mint') {
    const outcome = mintFromStdin(await readStdin(MINT_MAX_INPUT));
    journalAudit(outcome.audit);
    if (!outcome.allow) {
      process.stderr.write(`eectl-token: refused: ${outcome.reason}\n`);
      process.exit(3);
    }
    process.stdout.write(`${JSON.stringify({ token: outcome.token, expires_in: outcome.expiresIn })}\n`);
    return;
  }
  if (argv.length > 0 && argv[0] !== '--port')
    throw new Error(`${argv[0]}: not a mode (check, mint, --port N)`);
  const portAt = argv.indexOf('--port');
  const port = Number(portAt >= 0 ? argv[portAt + 1] : 5444);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--port ${argv[portAt + 1]}: not a port`);
  await serveTokens({ port });
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && /token-service\.m?js$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`eectl-token: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
