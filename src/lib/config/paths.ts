import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ClusterConfig } from './schema.js';

/**
 * A path as the file means it: `~` is the home directory, a relative path is relative to the file's
 * directory (not to wherever eectl runs), and one starting with an ssh token (`%d/.ssh/key`) is left for
 * the ssh layer to expand.
 */
export function resolveFilePath(path: string, baseDir: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  if (path.startsWith('%') || isAbsolute(path)) return path;
  return resolve(baseDir, path);
}

/** Resolves every local file path in the config (ssh keys, image bundles, the CA, files' sources) in place. */
export function resolveConfigPaths(config: ClusterConfig, baseDir: string, home: string = homedir()): void {
  const fix = (path: string) => resolveFilePath(path, baseDir, home);
  for (const file of config.spec.files) file.source = fix(file.source);
  for (const host of config.spec.hosts) {
    for (const file of host.files ?? []) file.source = fix(file.source);
    if (host.ssh.keyPath) host.ssh.keyPath = fix(host.ssh.keyPath);
    if (host.ssh.bastion?.keyPath) host.ssh.bastion.keyPath = fix(host.ssh.bastion.keyPath);
  }
  config.spec.images.bundles = config.spec.images.bundles.map(fix);
  const policy = config.spec.images.policy;
  policy.keys = policy.keys.map(fix);
  for (const scope of policy.trust) scope.keys = scope.keys.map(fix);
  if (config.spec.engine.repoKey) config.spec.engine.repoKey = fix(config.spec.engine.repoKey);
  const ca = config.spec.controlPlane.ca;
  if (ca) {
    ca.certPath = fix(ca.certPath);
    ca.keyPath = fix(ca.keyPath);
  }
  const ldap = config.spec.identity.ldap;
  if (ldap?.caPath !== undefined) ldap.caPath = fix(ldap.caPath);
}
