import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { GATE_CERT, GATE_CONFIG, GATE_KEY } from './gate-paths.js';
import {
  CHECKED_MANIFEST_TYPES,
  errorBody,
  judgeRequest,
  judgeTagMove,
  MANIFEST_MAX_BYTES,
  mediaType,
  type GateRefusal,
} from './gate-rules.js';

/**
 * The immutable-tag gate (`registry.immutable`), run on every registry host under systemd
 * (eectl-registry-gate.service). It is the registry's only TCP listener: it serves HTTPS on the registry's
 * port with the registry's certificate and passes each request to Distribution's unix socket, which only
 * root on the host reaches. gate-rules.ts decides from the request line what passes; everything admitted
 * streams through unbuffered (pulls, blob uploads) except a manifest PUT by tag in an immutable
 * repository: that body (at most 4 MiB, Distribution's own limit) is read, hashed and compared with the
 * tag's current digest, asked of Distribution with the client's own credentials. A refusal is one JSON
 * line on stdout (journald).
 */

export interface GateConfig {
  port: number;
  host?: string;
  /** Distribution's unix socket. */
  socket: string;
  immutable: string[];
  certFile?: string;
  keyFile?: string;
}

/** Headers that belong to one connection, or that the gate sets itself: never passed on. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  // Distribution builds its Location URLs from these: only the gate says how it was reached.
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

/** Every accept type Distribution knows, so HEAD shows the stored manifest's own digest. */
const HEAD_ACCEPT = CHECKED_MANIFEST_TYPES.join(', ');

/** The request's headers for Distribution: as sent, less hop-by-hop ones, plus how the gate was reached. */
export function upstreamHeaders(
  req: IncomingMessage,
  bodyLength?: number,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (HOP_HEADERS.has(name) || (bodyLength !== undefined && name === 'content-length')) continue;
    const value = req.rawHeaders[i + 1]!;
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  out['x-forwarded-proto'] = 'https';
  if (req.socket.remoteAddress) out['x-forwarded-for'] = req.socket.remoteAddress;
  if (bodyLength !== undefined) out['content-length'] = String(bodyLength);
  return out;
}

function responseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = value;
  return out;
}

function sendError(res: ServerResponse, refusal: Pick<GateRefusal, 'status' | 'code' | 'message'>): void {
  const text = errorBody(refusal.code, refusal.message);
  res.writeHead(refusal.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Docker-Distribution-Api-Version': 'registry/2.0',
  });
  res.end(text);
}

/** Reads a body up to `max` bytes; undefined when it is longer. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Serves until closed; resolves once listening (with the port; 0 in the config picks one). */
export async function serveGate(
  config: GateConfig,
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<{ port: number; close: () => Promise<void> }> {
  const audit = (req: IncomingMessage, status: number, reason: string) =>
    log(
      JSON.stringify({
        time: new Date().toISOString(),
        remote: req.socket.remoteAddress,
        method: req.method,
        path: (req.url ?? '').slice(0, 512),
        status,
        reason,
      }),
    );

  /** Passes the request on: its body streamed, or the bytes already read. */
  function forward(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
    const up = request({
      socketPath: config.socket,
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req, body?.length),
    });
    up.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, responseHeaders(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    up.on('error', (error) => {
      if (res.headersSent) return res.destroy();
      audit(req, 503, `registry unreachable: ${error.message}`);
      sendError(res, { status: 503, code: 'UNAVAILABLE', message: 'the registry replica is not answering' });
    });
    // The client went away mid-stream: stop the upload or download to Distribution too.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (body) up.end(body);
    else req.pipe(up);
  }

  /** Distribution's answer to HEAD on the tag, with the pusher's own credentials. */
  function headTag(req: IncomingMessage): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: HEAD_ACCEPT, 'x-forwarded-proto': 'https' };
    if (req.headers.host) headers.host = req.headers.host;
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    return new Promise((resolve, reject) => {
      const up = request({ socketPath: config.socket, method: 'HEAD', path: req.url, headers });
      up.on('response', (answer) => {
        answer.resume();
        resolve(answer);
      });
      up.on('error', reject);
      up.setTimeout(30_000, () => up.destroy(new Error('no answer in 30 s')));
      up.end();
    });
  }

  // One check at a time per tag on this replica: two pushes of different images to a new tag do not
  // both see it missing here (replicas on other hosts are not serialised; see the README).
  const queues = new Map<string, Promise<void>>();
  function serialised(key: string, work: () => Promise<void>): Promise<void> {
    const before = queues.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  }

  async function checkTagPush(
    req: IncomingMessage,
    res: ServerResponse,
    check: { repository: string; tag: string; pattern: string },
  ): Promise<void> {
    const type = mediaType(req.headers['content-type']);
    if (!CHECKED_MANIFEST_TYPES.includes(type)) {
      req.resume();
      audit(req, 400, `manifest type ${JSON.stringify(type)} is not checked`);
      return sendError(res, {
        status: 400,
        code: 'MANIFEST_INVALID',
        message: `${check.repository} is immutable: a manifest of type ${JSON.stringify(type)} cannot be checked; push a Docker v2 or OCI manifest or index`,
      });
    }
    const body = await readBody(req, MANIFEST_MAX_BYTES);
    if (!body) {
      audit(req, 400, 'manifest larger than 4 MiB');
      res.setHeader('Connection', 'close');
      return sendError(res, {
        status: 400,
        code: 'MANIFEST_INVALID',
        message: 'the manifest is larger than 4 MiB',
      });
    }
    const pushed = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    await serialised(`${check.repository}:${check.tag}`, async () => {
      const head = await headTag(req).catch(() => undefined);
      const digest = head?.headers['docker-content-digest'];
      const verdict = judgeTagMove(
        { status: head?.statusCode ?? 0, digest: typeof digest === 'string' ? digest : undefined },
        pushed,
        check,
      );
      if (verdict.action === 'pass') {
        await new Promise<void>((resolve) => {
          res.on('close', resolve);
          forward(req, res, body);
        });
        return;
      }
      if (verdict.action === 'relay') {
        // Not signed in (or the token expired): the client gets Distribution's challenge and signs in.
        const challenge = head?.headers['www-authenticate'];
        if (challenge) res.setHeader('WWW-Authenticate', challenge);
        return sendError(res, { status: 401, code: 'UNAUTHORIZED', message: 'authentication required' });
      }
      audit(req, verdict.status, verdict.message);
      sendError(res, verdict);
    });
  }

  const server = createServer(
    {
      cert: readFileSync(config.certFile ?? GATE_CERT, 'utf8'),
      key: readFileSync(config.keyFile ?? GATE_KEY, 'utf8'),
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const verdict = judgeRequest(req.method ?? '', req.url ?? '', req.headers, config.immutable);
      if (verdict.action === 'refuse') {
        req.resume();
        audit(req, verdict.status, verdict.message);
        return sendError(res, verdict);
      }
      if (verdict.action === 'pass') return forward(req, res);
      checkTagPush(req, res, verdict).catch((error: unknown) => {
        audit(req, 500, `check failed: ${(error as Error).message}`);
        if (!res.headersSent)
          sendError(res, { status: 500, code: 'UNAVAILABLE', message: 'the immutable-tag check failed' });
        else res.destroy();
      });
    },
  );
  // Layers stream for as long as they take: no overall request timeout, only one for the headers.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : config.port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads the gate's settings file (written by install: registry-gate phase). */
export function readGateConfig(text: string): GateConfig {
  const value = JSON.parse(text) as Partial<GateConfig>;
  if (
    typeof value.port !== 'number' ||
    typeof value.socket !== 'string' ||
    !Array.isArray(value.immutable) ||
    !value.immutable.every((p) => typeof p === 'string')
  ) {
    throw new Error('not an eectl registry gate settings file');
  }
  return { port: value.port, socket: value.socket, immutable: value.immutable };
}

async function main(): Promise<void> {
  const config = readGateConfig(readFileSync(GATE_CONFIG, 'utf8'));
  await serveGate(config);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && /registry[\\/]gate\.m?js$/.test(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`eectl-registry-gate: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
