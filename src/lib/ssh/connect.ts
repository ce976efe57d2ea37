import { homedir } from 'node:os';
import { join } from 'node:path';
import type SSHConfig from 'ssh-config';
import type { HostSpec } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { clusterDir, type Logger } from '../util/log.js';
import type { Prompt } from './auth.js';
import type { Connection } from './connection.js';
import { resolveTarget } from './endpoint.js';
import type { HostKeyPolicy } from './host-key-policy.js';
import type { JumpHosts } from './jump-hosts.js';
import { LocalConnection } from './local-connection.js';
import { Ssh2Connection } from './ssh2-connection.js';
import { loadSshConfig } from './ssh-config.js';
import type { TransportOptions } from './transport.js';

/** How to reach hosts: host-key policy, prompts, files, timeouts. Only the first four matter day to day. */
export interface ConnectOptions {
  /** Accepted host keys are recorded in `~/.eectl/<clusterName>/known_hosts`. */
  clusterName?: string;
  /** The per-cluster known_hosts file; overrides the one derived from clusterName. */
  knownHostsPath?: string;
  /** `--accept-new-host-keys`. */
  acceptNewHostKeys: boolean;
  /** A terminal's "yes" for a key never seen before; absent without a terminal. */
  confirmHostKey?: (host: string, fingerprint: string) => Promise<boolean>;
  /** Asks for key passphrases on a terminal; absent without one. */
  prompt?: Prompt;
  /** The run's logger; each connection logs on `log.child(host.address)`. */
  log: Logger;
  /** Default `~/.ssh/config`. */
  sshConfigPath?: string;
  /** The user's known_hosts files, read only; default `~/.ssh/known_hosts`. */
  knownHostsPaths?: string[];
  /** Where `*Env` secrets and SSH_AUTH_SOCK come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Jump-host sessions shared between connections (ConnectionPool passes its own). */
  jumpHosts?: JumpHosts;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  connectAttempts?: number;
  retryDelayMs?: number;
  /** Concurrent channels per connection (default 8, below sshd's MaxSessions of 10). */
  maxChannels?: number;
}

/** The host-key policy the options describe. */
export function hostKeyPolicy(options: ConnectOptions): HostKeyPolicy {
  const clusterKnownHostsPath =
    options.knownHostsPath ??
    (options.clusterName ? join(clusterDir(options.clusterName), 'known_hosts') : undefined);
  if (!clusterKnownHostsPath) throw new UsageError('connect: clusterName or knownHostsPath is required');
  const policy: HostKeyPolicy = {
    userKnownHostsPaths: options.knownHostsPaths ?? [join(homedir(), '.ssh', 'known_hosts')],
    clusterKnownHostsPath,
    acceptNewHostKeys: options.acceptNewHostKeys,
  };
  if (options.confirmHostKey) policy.confirmHostKey = options.confirmHostKey;
  return policy;
}

/** Transport settings for one host's logger. */
export function transportOptions(options: ConnectOptions, log: Logger): TransportOptions {
  return {
    hostKeys: hostKeyPolicy(options),
    env: options.env ?? process.env,
    prompt: options.prompt,
    log,
    readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 4,
  };
}

/** A connection for a host, not yet connected: local for `localhost: true`, SSH otherwise. */
export function createConnection(host: HostSpec, options: ConnectOptions, sshConfig?: SSHConfig): Connection {
  const log = options.log.child(host.address);
  if (host.localhost) return new LocalConnection(host.address, log);
  const config = sshConfig ?? loadSshConfig(options.sshConfigPath ?? join(homedir(), '.ssh', 'config'));
  return new Ssh2Connection({
    name: host.address,
    route: resolveTarget(host, config),
    transport: transportOptions(options, log),
    ...(options.jumpHosts ? { jumpHosts: options.jumpHosts } : {}),
    ...(options.maxChannels ? { maxChannels: options.maxChannels } : {}),
    ...(options.connectAttempts ? { connectAttempts: options.connectAttempts } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
  });
}

/** Opens a connection to one host (retrying transient failures) and detects how it runs sudo. */
export async function connect(host: HostSpec, options: ConnectOptions): Promise<Connection> {
  const connection = createConnection(host, options);
  await connection.connect();
  return connection;
}
