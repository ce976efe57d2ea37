import { accessSync, constants, statSync } from 'node:fs';
import type { ConfigProblem } from './problems.js';
import type { ClusterConfig } from './schema.js';
import type { DocPath, Locator } from './source.js';

/**
 * Local files the file names that must be readable before any host is reached: SSH keys of the hosts and
 * their bastions, image bundles, a CA you supply. `config` has its paths resolved; a path starting with an ssh token (`%d/…`) is left to
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
  return problems;
}

/** Why a local file cannot be used (`does not exist`, `is not a file`, …), or undefined when it can be read. */
export function unreadable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'EACCES') return 'cannot be read (permission denied)';
    return `cannot be read (${code ?? (error as Error).message})`;
  }
}
