import { readFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { EectlError, ExitCode } from '../errors.js';

/** The files of a client bundle that authenticate to the engine API. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** Reads ca.pem, cert.pem and key.pem of a client bundle (as `eectl client-config` writes it). */
export async function readClientBundle(dir: string): Promise<ClientTls> {
  const read = (name: string) =>
    readFile(join(dir, name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new EectlError(`client bundle ${dir}: cannot read ${name} (${e.code ?? e.message})`, {
        code: 'ENO_BUNDLE',
        kind: 'user',
        exitCode: ExitCode.usage,
        suggestions: [
          'Write one with `eectl client-config` (default ~/.eectl/<cluster>/bundles/admin), or name it with --bundle DIR.',
        ],
      });
    });
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  return { ca, cert, key };
}

/** The API answered with an error status: 403 is a refusal by the managers' authorization. */
export class EngineApiError extends EectlError {
  constructor(
    readonly status: number,
    readonly apiMessage: string,
    readonly manager: string,
    what: string,
  ) {
    super(`${manager}: ${what}: ${status === 403 ? 'denied' : `HTTP ${status}`}: ${apiMessage}`, {
      code: status === 403 ? 'EDENIED' : status === 404 ? 'ENOT_FOUND' : 'EAPI',
      kind: status === 403 || status === 404 || status === 409 || status === 400 ? 'user' : 'external',
      exitCode: ExitCode.failure,
      host: manager,
    });
  }

  get denied(): boolean {
    return this.status === 403;
  }
}

/** No manager answered (connection refused, timed out, TLS refused). */
export class NoManagerAnswersError extends EectlError {
  constructor(readonly failures: { manager: string; reason: string }[]) {
    super(`no manager's engine API answers: ${failures.map((f) => `${f.manager}: ${f.reason}`).join('; ')}`, {
      code: 'EAPI_UNREACHABLE',
      kind: 'external',
      exitCode: ExitCode.failure,
      suggestions: [
        'Check that the managers are up (eectl status) and that this machine reaches their API port.',
      ],
    });
  }
}

/** How one manager's API answered a ping: reachable or not, and the server certificate it presented. */
export interface ManagerProbe {
  endpoint: string;
  reachable: boolean;
  /** Why not, when unreachable. */
  error: string | undefined;
  /** The API server certificate's notAfter (ISO 8601), when the TLS handshake completed. */
  certificateNotAfter: string | undefined;
  latencyMs: number | undefined;
}

export interface EngineApiOptions {
  /** `host:port` of each manager's API, in the order to try them. */
  endpoints: string[];
  tls: ClientTls;
  /** Per request: a manager that has not answered by then is given up for the next one. */
  timeoutMs?: number;
}

interface RawAnswer {
  status: number;
  body: string;
  notAfter: string | undefined;
}

/**
 * The Docker engine API of the managers over mutual TLS, with the user's client bundle: every request
 * goes to the manager that answered last and falls over to the next one when it does not answer.
 * An error status is an answer (it is not retried elsewhere: another manager would say the same).
 */
export class EngineApi {
  readonly endpoints: string[];
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private preferred = 0;
  /** A resumed TLS session may not show the peer certificate again: the last one seen per manager. */
  private readonly certificates = new Map<string, string>();

  constructor(options: EngineApiOptions) {
    if (options.endpoints.length === 0) throw new Error('EngineApi needs at least one manager endpoint');
    this.endpoints = options.endpoints;
    this.timeoutMs = options.timeoutMs ?? 3000;
    // Kept-alive connections: a page polls every second, and a TLS handshake each time costs more than the request.
    this.agent = new Agent({ ...options.tls, keepAlive: true, maxSockets: 4 });
  }

  /** The manager requests go to now. */
  get current(): string {
    return this.endpoints[this.preferred]!;
  }

  /** GET a JSON answer. */
  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** POST a JSON body; the answer's JSON (or undefined for an empty body). */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  /** Sends a request and parses its JSON answer (undefined for an empty body). */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.text(method, path, body);
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Sends a request to the preferred manager, then to each other one in turn until one answers. */
  async text(method: string, path: string, body?: unknown): Promise<string> {
    const failures: { manager: string; reason: string }[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.preferred + i) % this.endpoints.length;
      const endpoint = this.endpoints[index]!;
      let answer: RawAnswer;
      try {
        answer = await this.send(endpoint, method, path, body, this.timeoutMs);
      } catch (e) {
        failures.push({ manager: endpoint, reason: (e as Error).message });
        continue;
      }
      this.preferred = index;
      if (answer.status >= 400) {
        throw new EngineApiError(answer.status, apiMessage(answer.body), endpoint, `${method} ${path}`);
      }
      return answer.body;
    }
    throw new NoManagerAnswersError(failures);
  }

  /** Sends the next requests to `endpoint` first (one of `endpoints`). */
  prefer(endpoint: string): void {
    const index = this.endpoints.indexOf(endpoint);
    if (index >= 0) this.preferred = index;
  }

  /** Pings one manager's API directly (no fall-over): whether it answers, and its certificate. */
  async probe(endpoint: string, timeoutMs = this.timeoutMs): Promise<ManagerProbe> {
    const started = Date.now();
    try {
      const answer = await this.send(endpoint, 'GET', '/_ping', undefined, timeoutMs);
      const reachable = answer.status === 200;
      return {
        endpoint,
        reachable,
        error: reachable ? undefined : `HTTP ${answer.status}: ${apiMessage(answer.body)}`,
        certificateNotAfter: answer.notAfter,
        latencyMs: Date.now() - started,
      };
    } catch (e) {
      return {
        endpoint,
        reachable: false,
        error: (e as Error).message,
        certificateNotAfter: undefined,
        latencyMs: undefined,
      };
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private send(
    endpoint: string,
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<RawAnswer> {
    const { host, port } = splitEndpoint(endpoint);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<RawAnswer>((resolve, reject) => {
      const req = httpsRequest(
        {
          host,
          port,
          method,
          path,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          // Read now: once the body is in, a kept-alive socket goes back to the agent and res.socket is null.
          const validTo = (res.socket as TLSSocket | null)?.getPeerCertificate?.()?.valid_to;
          if (validTo) this.certificates.set(endpoint, new Date(validTo).toISOString());
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              notAfter: this.certificates.get(endpoint),
            });
          });
          res.on('error', reject);
        },
      );
      // One deadline for the whole exchange: a host that is powered off never refuses, it stays silent.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ? `${e.code}` : e.message)));
      req.end(payload);
    });
  }
}

/** `host:port` or `[v6]:port` into its parts. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`not host:port: ${endpoint}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** The engine's error body is `{"message": "..."}`; anything else is shown as it came. */
export function apiMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 500) || '(empty answer)';
}
