import { accessSync, constants, statSync } from 'node:fs';
import type { ConfigProblem } from './problems.js';
import type { ClusterConfig } from './schema.js';
import type { DocPath, Locator } from './source.js';

/**
 * Local files the file names that must be readable before any host is reached: SSH keys of the hosts and
 * their bastions, image bundles, a CA you supply, the files to upload. `config` has its paths resolved; a path starting with an ssh token (`%d/…`) is left to
 * the ssh layer, which expands it.
 */
export function localFileProblems(config: ClusterConfig, loc: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (path: string | undefined, at: DocPath, what: string): void => {
    if (path === undefined || path.startsWith('%')) return;
    const reason = unreadable(path);
    if (reason) problems.push(loc.problem('error', at, `${what} ${path} ${reason}`));
  };
  // One problem per path: twenty hosts naming the same missing key would say the same thing twenty times.
  const seen = new Set<string>();
  config.spec.hosts.forEach((host, i) => {
    for (const [path, at] of [
      [host.ssh.keyPath, ['spec', 'hosts', i, 'ssh', 'keyPath']],
      [host.ssh.bastion?.keyPath, ['spec', 'hosts', i, 'ssh', 'bastion', 'keyPath']],
    ] as const) {
      if (path === undefined || seen.has(path)) continue;
      seen.add(path);
      check(path, at, 'SSH key');
    }
  });
  config.spec.images.bundles.forEach((path, i) =>
    check(path, ['spec', 'images', 'bundles', i], 'image bundle'),
  );
  const ca = config.spec.controlPlane.ca;
  if (ca) {
    check(ca.certPath, ['spec', 'controlPlane', 'ca', 'certPath'], 'CA certificate');
    check(ca.keyPath, ['spec', 'controlPlane', 'ca', 'keyPath'], 'CA key');
  }
  check(config.spec.identity.ldap?.caPath, ['spec', 'identity', 'ldap', 'caPath'], "directory's CA");
  const checkUpload = (source: string, at: DocPath): void => {
    const reason = unreadable(source, MAX_UPLOAD_BYTES);
    if (reason) problems.push(loc.problem('error', at, `file to upload ${source} ${reason}`));
  };
  config.spec.files.forEach((f, i) => checkUpload(f.source, ['spec', 'files', i, 'source']));
  config.spec.hosts.forEach((host, i) =>
    (host.files ?? []).forEach((f, j) => checkUpload(f.source, ['spec', 'hosts', i, 'files', j, 'source'])),
  );
  return problems;
}

/** A file of `files:` is read whole and sent to every host: configuration and certificates, not images. */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

/**
 * Why a local file cannot be used (`does not exist`, `is not a file`, …), or undefined when it can be read;
 * with `maxBytes`, a file to upload: a regular file of at most that size.
 */
export function unreadable(path: string, maxBytes?: number): string | undefined {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return maxBytes === undefined ? 'is not a file' : 'is not a regular file';
    if (maxBytes !== undefined && stat.size > maxBytes)
      return `is larger than ${maxBytes / 1024 / 1024} MiB (files: is for configuration and certificates)`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'EACCES') return 'cannot be read (permission denied)';
    return `cannot be read (${code ?? (error as Error).message})`;
  }
}
