import type { Host } from '../host/host.js';

/** Where the engine keeps this node's swarm certificate, under its data root. */
export const swarmNodeCert = (dataRoot = '/var/lib/docker'): string =>
  `${dataRoot.replace(/\/+$/, '')}/swarm/certificates/swarm-node.crt`;

/** Prints each existing file as `path base64` on one line: every file in one round trip. */
const READ_SCRIPT =
  'for f in "$@"; do [ -f "$f" ] && printf "%s %s\\n" "$f" "$(base64 -w0 "$f")"; done; exit 0';

/**
 * Reads public certificate files as root, in one round trip (some sit in root-only folders: the swarm's,
 * the ingress watcher's). Only certificates are asked for here, never a key.
 */
export async function readCertificateFiles(
  host: Host,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const { stdout } = await host.sudo(['sh', '-c', READ_SCRIPT, 'eectl-certs', ...paths], {
    timeoutMs: 30_000,
  });
  const files = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [path, b64] = line.split(' ');
    if (!path || b64 === undefined) continue;
    files.set(path, Buffer.from(b64, 'base64').toString('utf8'));
  }
  return files;
}
