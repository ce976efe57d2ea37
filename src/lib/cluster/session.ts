import type { HostSpec } from '../config/schema.js';
import { ConnectionPool } from '../ssh/pool.js';
import type { Connection } from '../ssh/connection.js';
import { withRunSignal } from '../ssh/signal-connection.js';
import type { Logger } from '../util/log.js';
import { askSecret, confirmNewHostKey } from '../util/prompts.js';

export interface SessionOptions {
  clusterName: string;
  log: Logger;
  acceptNewHostKeys: boolean;
  /** Prompts allowed (a terminal, not --json). */
  interactive: boolean;
  concurrency: number;
  /** Fail faster on dead hosts (status: a report should not wait a minute per host); ssh layer defaults otherwise. */
  readyTimeoutMs?: number;
  connectAttempts?: number;
  /** The run's interrupt (Ctrl-C, SIGTERM): every command on every host is stopped when it fires. */
  signal?: AbortSignal;
}

/** A run's way to the hosts: one pooled connection per host, closed together at the end. */
export interface Session {
  connect(spec: HostSpec): Promise<Connection>;
  close(): Promise<void>;
}

export function openSession(options: SessionOptions): Session {
  const pool = new ConnectionPool({
    clusterName: options.clusterName,
    acceptNewHostKeys: options.acceptNewHostKeys,
    log: options.log,
    concurrency: options.concurrency,
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    ...(options.connectAttempts === undefined ? {} : { connectAttempts: options.connectAttempts }),
    ...(options.interactive ? { confirmHostKey: confirmNewHostKey, prompt: askSecret } : {}),
  });
  const { signal } = options;
  return {
    connect: async (spec) => (signal ? withRunSignal(await pool.get(spec), signal) : pool.get(spec)),
    close: () => pool.closeAll(),
  };
}
