import { timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { RELAY_SETTINGS, RELAY_STATE, SIGNATURE_HEADER } from './names.js';
import { signBody } from './sign.js';

/**
 * The registry's webhook relay, on every registry host under systemd as its own user. Distribution sends
 * its notifications here (one endpoint per configured receiver, `/NAME`, with the bearer token only the
 * replicas' config carries); the relay posts the raw body unchanged to that receiver's URL (from its
 * settings, never from the request) with the HMAC-SHA256 signature in `X-Hub-Signature-256`, and answers
 * with the receiver's verdict: 200 when it took the delivery, 502 otherwise. It has no queue of its own:
 * a failure is Distribution's to retry (its queue, threshold and backoff). It counts deliveries per
 * endpoint in RELAY_STATE for `eectl status`. This module imports only node: built-ins and its folder.
 */

/** One receiver: its name (the path Distribution posts to), its URL and its signing secret. */
export interface RelayEndpoint {
  name: string;
  url: string;
  secret: string;
}

/** The relay's settings file (RELAY_SETTINGS), written by install. */
export interface RelaySettings {
  port: number;
  /** What Distribution sends as `Authorization: Bearer …`. */
  token: string;
  endpoints: RelayEndpoint[];
}

/** Delivery counters of one endpoint, as `eectl status` reads them. */
export interface EndpointCounters {
  delivered: number;
  failed: number;
  /** Events whose last attempt failed and that Distribution has not delivered since (it retries them). */
  pending: number;
  lastStatus?: number;
  lastError?: string;
  lastAttemptAt?: string;
}

export interface RelayRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

export interface RelayAnswer {
  status: number;
  body: string;
}

/** Posts a signed delivery; resolves with the receiver's HTTP status, rejects when there is none. */
export type Post = (url: string, body: Buffer, headers: Record<string, string>) => Promise<number>;

/** The largest notification body accepted (Distribution sends a few events per envelope). */
export const MAX_BODY_BYTES = 1 << 20;
/** How long a receiver may take; Distribution's own timeout for the relay is longer (config-file.ts). */
export const RECEIVER_TIMEOUT_MS = 10_000;
/** Event IDs remembered per endpoint as pending, at most: an endless outage must not grow the relay. */
const MAX_PENDING = 10_000;
const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** Node's fetch, without following redirects (a receiver may not send the delivery elsewhere). */
export const fetchPost: Post = async (url, body, headers) => {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(RECEIVER_TIMEOUT_MS),
  });
  await res.body?.cancel();
  return res.status;
};

const sameSecret = (given: string, want: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The event IDs of a notification envelope, or undefined when the body is not one. */
function eventIds(body: Buffer): string[] | undefined {
  try {
    const envelope = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof envelope !== 'object' || envelope === null) return undefined;
    const events = (envelope as { events?: unknown }).events;
    if (!Array.isArray(events)) return undefined;
    return events.map((e: unknown) =>
      typeof e === 'object' && e !== null && typeof (e as { id?: unknown }).id === 'string'
        ? (e as { id: string }).id
        : '',
    );
  } catch {
    return undefined;
  }
}

/** The relay's decisions, without a socket: what a request gets, and the counters it keeps. */
export function createRelay(settings: RelaySettings, post: Post = fetchPost, now = () => new Date()) {
  const endpoints = new Map(settings.endpoints.map((e) => [e.name, e]));
  const counters = new Map<string, EndpointCounters>(
    settings.endpoints.map((e) => [e.name, { delivered: 0, failed: 0, pending: 0 }]),
  );
  const pending = new Map(settings.endpoints.map((e) => [e.name, new Set<string>()]));

  async function handle(req: RelayRequest): Promise<RelayAnswer> {
    if (req.method !== 'POST') return { status: 405, body: 'only POST\n' };
    const auth = /^Bearer (.+)$/.exec(req.authorization ?? '');
    if (!auth || !sameSecret(auth[1]!, settings.token)) return { status: 401, body: 'unauthorized\n' };
    const endpoint = /^\/([a-z0-9-]+)$/.test(req.path) ? endpoints.get(req.path.slice(1)) : undefined;
    if (!endpoint) return { status: 404, body: 'no such endpoint\n' };
    const ids = eventIds(req.body);
    if (!ids) return { status: 400, body: 'not a notification envelope\n' };
    const count = counters.get(endpoint.name)!;
    const waiting = pending.get(endpoint.name)!;
    const headers = {
      'Content-Type': req.contentType === EVENTS_MEDIA_TYPE ? EVENTS_MEDIA_TYPE : 'application/json',
      'User-Agent': 'eectl-webhook-relay',
      [SIGNATURE_HEADER]: signBody(endpoint.secret, req.body),
    };
    count.lastAttemptAt = now().toISOString();
    let status: number | undefined;
    let error: string | undefined;
    try {
      status = await post(endpoint.url, req.body, headers);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      error = `${e instanceof Error ? e.message : String(e)}${cause}`;
    }
    if (status === undefined) delete count.lastStatus;
    else count.lastStatus = status;
    if (error === undefined) {
      count.delivered += 1;
      for (const id of ids) waiting.delete(id);
      delete count.lastError;
    } else {
      count.failed += 1;
      for (const id of ids) if (waiting.size < MAX_PENDING) waiting.add(id);
      count.lastError = error;
    }
    count.pending = waiting.size;
    return error === undefined
      ? { status: 200, body: 'delivered\n' }
      : { status: 502, body: `receiver: ${error}\n` };
  }

  return { handle, counters: () => Object.fromEntries(counters) };
}

/** Reads a request's body, refusing more than MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Read no more: the answer (413) closes the connection.
        req.pause();
        req.removeAllListeners('data');
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const log = (entry: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);

/**
 * The relay's HTTP server around `relay`: bodies over MAX_BODY_BYTES get 413; `onDelivery` runs after each
 * attempt at a receiver (the counters changed).
 */
export function relayServer(
  relay: ReturnType<typeof createRelay>,
  onDelivery: () => void = () => undefined,
): Server {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const answer = body
        ? await relay.handle({
            method: req.method ?? '',
            path: (req.url ?? '').split('?')[0]!,
            authorization: req.headers.authorization,
            contentType: req.headers['content-type'],
            body,
          })
        : { status: 413, body: 'too large\n' };
      if (answer.status === 200 || answer.status === 502) {
        const endpoint = (req.url ?? '').slice(1);
        log({ event: answer.status === 200 ? 'delivered' : 'failed', endpoint, detail: answer.body.trim() });
        onDelivery();
      } else {
        log({ event: 'refused', status: answer.status, from: req.socket.remoteAddress });
      }
      res.writeHead(answer.status, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end(answer.body, () => req.socket.destroy());
    })().catch((e: unknown) => {
      log({ event: 'error', message: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.requestTimeout = 30_000;
  return server;
}

export function main(): void {
  const settings = JSON.parse(readFileSync(RELAY_SETTINGS, 'utf8')) as RelaySettings;
  const relay = createRelay(settings);
  const saveCounters = () => {
    writeFileSync(`${RELAY_STATE}.tmp`, `${JSON.stringify(relay.counters(), null, 2)}\n`, { mode: 0o644 });
    renameSync(`${RELAY_STATE}.tmp`, RELAY_STATE);
  };
  saveCounters();
  relayServer(relay, saveCounters).listen(settings.port, () =>
    log({ event: 'started', pid: process.pid, port: settings.port }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
