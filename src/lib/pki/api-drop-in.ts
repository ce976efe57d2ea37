import { HOST_CA_CERT, HOST_SERVER_CERT, HOST_SERVER_KEY } from '../host-layout.js';

/**
 * daemon.json keys the drop-in sets as flags: dockerd refuses to start when a directive is given both
 * as a flag and in daemon.json, so eectl refuses them in `engine.daemon` and in a host's daemon.json.
 */
export const API_DAEMON_KEYS = ['hosts', 'tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey'];

/** The keys of a daemon.json object that would clash with the API drop-in. */
export function conflictingDaemonKeys(daemon: Record<string, unknown>): string[] {
  return API_DAEMON_KEYS.filter((k) => k in daemon);
}

/**
 * The systemd drop-in that adds the mutual-TLS API port next to the local socket.
 *
 * Why a drop-in: `hosts` in daemon.json conflicts with the `-H fd://` of the packaged unit, so the
 * ExecStart is reset and written again. It keeps what Debian's docker.io unit
 * (`/usr/sbin/dockerd -H fd:// --containerd=… $DOCKER_OPTS`) and docker-ce's (`/usr/bin/dockerd -H fd://
 * --containerd=…`) both run: `dockerd` without a path, which systemd (≥ 239) looks up in /usr/sbin and
 * /usr/bin, so one file fits both packages and can be written before either is installed — a fresh
 * engine then starts with the API and needs no restart. `$DOCKER_OPTS` comes from Debian's
 * EnvironmentFile and is empty elsewhere. TLS wraps only the TCP listener; the local socket stays as is.
 */
export function apiDropIn(apiPort: number): string {
  const execStart = [
    'dockerd',
    '-H fd://',
    '--containerd=/run/containerd/containerd.sock',
    '$DOCKER_OPTS',
    `-H tcp://0.0.0.0:${apiPort}`,
    '--tlsverify',
    `--tlscacert=${HOST_CA_CERT}`,
    `--tlscert=${HOST_SERVER_CERT}`,
    `--tlskey=${HOST_SERVER_KEY}`,
  ].join(' ');
  return [
    '# Written by eectl: the engine API on this manager, with mutual TLS from the cluster CA.',
    '[Service]',
    'ExecStart=',
    `ExecStart=${execStart}`,
    '',
  ].join('\n');
}
