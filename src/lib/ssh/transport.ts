import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { planAuth, type Prompt } from './auth.js';
import type { SshEndpoint } from './endpoint.js';
import { preferredHostKeyAlgorithms, verifyHostKey, type HostKeyPolicy } from './host-key-policy.js';
import { TransientConnectError } from './retry.js';

/** Settings shared by every SSH hop of a run. */
export interface TransportOptions {
  hostKeys: HostKeyPolicy;
  env: NodeJS.ProcessEnv;
  prompt?: Prompt | undefined;
  log: Logger;
  /** Time for TCP connect + handshake + auth, not counting time spent waiting for a person. */
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection counts as dropped. */
  keepaliveCountMax: number;
}

/**
 * Opens one authenticated SSH session to an endpoint, directly or over `sock` (a channel forwarded by a
 * jump host). Host-key and auth failures throw EectlError (never retried); network trouble throws a
 * transient error the caller may retry.
 */
export function openClient(endpoint: SshEndpoint, options: TransportOptions, sock?: Duplex): Promise<Client> {
  const client = new ssh2.Client();
  const log = options.log;
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    let failure: unknown;
    const timer = new PausableTimer(options.readyTimeoutMs, () => {
      failure = new TransientConnectError(
        `${endpoint.label}: no SSH session within ${options.readyTimeoutMs / 1000}s (${where(endpoint)})`,
      );
      client.destroy();
      finish();
    });
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      timer.stop();
      if (error === undefined && failure === undefined) resolve(client);
      else {
        client.destroy();
        reject(failure ?? error);
      }
    };
    const auth = planAuth({
      endpoint,
      env: options.env,
      prompt: options.prompt,
      onPrompt: (waiting) => (waiting ? timer.pause() : timer.resume()),
    });
    const preferred = preferredHostKeyAlgorithms(options.hostKeys, endpoint.hostname, endpoint.port);
    const config: ConnectConfig = {
      host: endpoint.hostname,
      port: endpoint.port,
      username: endpoint.user,
      // Our own timer replaces readyTimeout: it must not run while a person answers a prompt.
      readyTimeout: 0,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      authHandler: auth.handler,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        timer.pause();
        verifyHostKey(options.hostKeys, endpoint, key, log).then(
          () => {
            timer.resume();
            verify(true);
          },
          (error: unknown) => {
            failure = error;
            verify(false);
          },
        );
      },
    };
    if (preferred.length > 0) {
      const algorithms = preferred as ServerHostKeyAlgorithm[];
      config.algorithms = { serverHostKey: { remove: algorithms, prepend: algorithms, append: [] } };
    }
    if (sock) config.sock = sock;

    client.on('ready', () => finish());
    client.on('error', (error: Error & { level?: string }) => {
      if (settled) {
        log.debug(`ssh: ${error.message}`);
        return;
      }
      if (error.level === 'agent') {
        // ssh2 goes on with the next method; only the reason is worth keeping for the message.
        auth.tried.push(`ssh-agent unusable: ${error.message}`);
        return;
      }
      if (error.level === 'client-authentication') failure ??= authError(endpoint, auth.tried);
      finish(failure === undefined ? classify(error, endpoint) : undefined);
    });
    client.on('close', () => {
      if (!settled)
        finish(
          new TransientConnectError(
            `${endpoint.label}: connection closed during SSH handshake (${where(endpoint)})`,
          ),
        );
    });
    log.debug(`ssh: connecting to ${where(endpoint)}${sock ? ' through the jump host' : ''}`);
    timer.start();
    client.connect(config);
    // Many small request/response round trips (handshake, one per command): Nagle's delay would add up.
    client.setNoDelay(true);
  });
}

function where(endpoint: SshEndpoint): string {
  return `${endpoint.user}@${endpoint.hostname}:${endpoint.port}`;
}

function authError(endpoint: SshEndpoint, tried: string[]): EectlError {
  const list =
    tried.length > 0 ? tried.map((t) => `\n  - ${t}`).join('') : '\n  - nothing: no key, agent or password';
  return new EectlError(
    `${endpoint.label}: SSH authentication failed for ${where(endpoint)}; tried:${list}`,
    {
      code: 'EAUTH',
      kind: 'user',
      host: endpoint.label,
      suggestions: [
        `Check that ${endpoint.user} is the right user and that one of these keys is in ~${endpoint.user}/.ssh/authorized_keys on ${endpoint.hostname}.`,
        'Set ssh.keyPath (and ssh.keyPassphraseEnv for an encrypted key), load the key into ssh-agent, or set ssh.passwordEnv.',
      ],
    },
  );
}

/** Network errors stay raw (the retry looks at their code); other handshake failures become ECONNECT. */
function classify(error: Error & { code?: unknown; level?: string }, endpoint: SshEndpoint): unknown {
  if (typeof error.code === 'string') return error;
  if (error.level === 'client-socket' || error.level === 'client-timeout') {
    return new TransientConnectError(`${endpoint.label}: ${error.message} (${where(endpoint)})`);
  }
  return new EectlError(`${endpoint.label}: SSH handshake with ${where(endpoint)} failed: ${error.message}`, {
    code: 'ECONNECT',
    kind: 'external',
    host: endpoint.label,
    cause: error,
  });
}

/** A one-shot timer that stops counting while paused (a prompt is waiting for a person). */
class PausableTimer {
  private handle: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  private pauses = 0;
  private stopped = false;

  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
  }

  start(): void {
    if (this.stopped) return;
    this.startedAt = Date.now();
    this.handle = setTimeout(this.onExpire, Math.max(1, this.remaining));
  }

  pause(): void {
    this.pauses++;
    if (this.pauses > 1 || this.handle === undefined) return;
    clearTimeout(this.handle);
    this.handle = undefined;
    this.remaining -= Date.now() - this.startedAt;
  }

  resume(): void {
    if (this.pauses === 0) return;
    this.pauses--;
    if (this.pauses === 0) this.start();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.handle);
    this.handle = undefined;
  }
}
