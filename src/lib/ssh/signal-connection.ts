import type { Connection, ExecOptions, RemoteCommand } from './connection.js';

/**
 * A signal that never fires: for the commands an interrupted run must still run, such as releasing the
 * cluster lock (an exec given it is not stopped by the run's own signal).
 */
export const UNINTERRUPTIBLE: AbortSignal = new AbortController().signal;

/**
 * The connection with `signal` as the default of every exec, so Ctrl-C stops whatever runs on the host
 * (the command is sent TERM and its channel closed) whichever phase started it.
 */
export function withRunSignal(conn: Connection, signal: AbortSignal): Connection {
  return {
    get name() {
      return conn.name;
    },
    get log() {
      return conn.log;
    },
    get isRoot() {
      return conn.isRoot;
    },
    connect: () => conn.connect(),
    exec: (command: RemoteCommand, options: ExecOptions = {}) =>
      conn.exec(command, { ...options, signal: options.signal ?? signal }),
    upload: (path, content, options) => conn.upload(path, content, options),
    readFile: (path, options) => conn.readFile(path, options),
    close: () => conn.close(),
  };
}
