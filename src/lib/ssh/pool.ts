import { homedir } from 'node:os';
import { join } from 'node:path';
import type SSHConfig from 'ssh-config';
import type { HostSpec } from '../config/schema.js';
import { toEectlError, type EectlError } from '../errors.js';
import { createConnection, transportOptions, type ConnectOptions } from './connect.js';
import type { Connection } from './connection.js';
import { JumpHosts } from './jump-hosts.js';
import { Limiter } from './limiter.js';
import { loadSshConfig } from './ssh-config.js';

/** The outcome of connecting to one host with `connectAll`. */
export type ConnectOutcome =
  | { host: HostSpec; connection: Connection; error?: undefined }
  | { host: HostSpec; connection?: undefined; error: EectlError };

/**
 * The run's connections: one per host, opened on first use with at most `concurrency` handshakes at
 * once, jump-host sessions shared between hosts, and all closed by `closeAll()` at the end of the run.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly handshakes: Limiter;
  private readonly jumpHosts: JumpHosts;
  private readonly sshConfig: SSHConfig | undefined;

  constructor(private readonly options: ConnectOptions & { concurrency?: number }) {
    this.handshakes = new Limiter(options.concurrency ?? 10);
    this.jumpHosts = new JumpHosts(transportOptions(options, options.log.child('jump')));
    this.sshConfig = loadSshConfig(options.sshConfigPath ?? join(homedir(), '.ssh', 'config'));
  }

  /** The connected connection for a host (connecting it the first time); a failed connect is retried on the next get. */
  get(host: HostSpec): Promise<Connection> {
    const cached = this.connections.get(host.address);
    if (cached) return cached;
    const opening = this.handshakes.run(async () => {
      const connection = createConnection(
        host,
        { ...this.options, jumpHosts: this.jumpHosts },
        this.sshConfig,
      );
      await connection.connect();
      return connection;
    });
    this.connections.set(host.address, opening);
    opening.catch(() => {
      if (this.connections.get(host.address) === opening) this.connections.delete(host.address);
    });
    return opening;
  }

  /** Connects to every host in parallel (bounded) and reports each outcome; never rejects. */
  connectAll(hosts: HostSpec[]): Promise<ConnectOutcome[]> {
    return Promise.all(
      hosts.map((host) =>
        this.get(host).then(
          (connection): ConnectOutcome => ({ host, connection }),
          (error: unknown): ConnectOutcome => ({ host, error: toEectlError(error) }),
        ),
      ),
    );
  }

  /** Closes every connection and jump-host session; safe to call more than once. */
  async closeAll(): Promise<void> {
    const opened = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      opened.map((c) =>
        c.then(
          (connection) => connection.close(),
          () => undefined,
        ),
      ),
    );
    await this.jumpHosts.closeAll();
  }
}
