import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { EectlError } from '../errors.js';
import type { SshEndpoint } from './endpoint.js';
import { TransientConnectError } from './retry.js';
import { openClient, type TransportOptions } from './transport.js';

// RFC 4254 channel-open failure reason: the jump host could not reach the target (yet).
const CONNECT_FAILED = 2;

/**
 * Sessions to jump hosts (bastions), shared by every target behind them: a hundred hosts behind one
 * bastion cost one login there, and each target is a forwarded channel (`direct-tcpip`) on it.
 */
export class JumpHosts {
  private readonly sessions = new Map<string, Promise<Client>>();

  constructor(private readonly options: TransportOptions) {}

  /** A byte stream to `target` through the jump chain (first hop first), for an SSH client to run over. */
  async tunnel(
    jumps: SshEndpoint[],
    target: { label: string; hostname: string; port: number },
  ): Promise<Duplex> {
    const last = await this.session(jumps, jumps.length - 1);
    const lastHop = jumps[jumps.length - 1] as SshEndpoint;
    return forward(last, lastHop, target);
  }

  /** Ends every jump session; targets tunnelled through them lose their connection. */
  async closeAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(
      sessions.map((s) =>
        s.then(
          (client) => client.end(),
          () => undefined,
        ),
      ),
    );
  }

  private session(jumps: SshEndpoint[], index: number): Promise<Client> {
    const key = jumps
      .slice(0, index + 1)
      .map((j) => `${j.user}@${j.hostname}:${j.port}`)
      .join(' > ');
    const cached = this.sessions.get(key);
    if (cached) return cached;
    const hop = jumps[index] as SshEndpoint;
    const opening = (async () => {
      const sock =
        index > 0
          ? await forward(await this.session(jumps, index - 1), jumps[index - 1] as SshEndpoint, hop)
          : undefined;
      const client = await openClient(hop, { ...this.options, log: this.options.log.child(hop.label) }, sock);
      client.on('close', () => {
        if (this.sessions.get(key) === opening) this.sessions.delete(key);
      });
      return client;
    })();
    this.sessions.set(key, opening);
    // A failed hop is not cached: the next attempt (retry) opens it again.
    opening.catch(() => {
      if (this.sessions.get(key) === opening) this.sessions.delete(key);
    });
    return opening;
  }
}

function forward(
  client: Client,
  via: SshEndpoint,
  target: { label: string; hostname: string; port: number },
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, target.hostname, target.port, (error, channel) => {
      if (!error) return resolve(channel);
      const reason = (error as Error & { reason?: number }).reason;
      const message = `${target.label}: jump host ${via.label} cannot open a connection to ${target.hostname}:${target.port}: ${error.message}`;
      if (reason === CONNECT_FAILED) return reject(new TransientConnectError(message));
      reject(
        new EectlError(message, {
          code: 'ECONNECT',
          kind: 'external',
          host: target.label,
          suggestions: [
            `Check that ${via.label} allows TCP forwarding (AllowTcpForwarding in its sshd_config).`,
          ],
        }),
      );
    });
  });
}
