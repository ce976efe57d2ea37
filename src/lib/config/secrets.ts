import { UsageError } from '../errors.js';
import type { ClusterConfig } from './schema.js';

/** An environment variable the cluster file names as holding a secret, and what it is for. */
export interface SecretRef {
  /** Where the file names it, e.g. `spec.registry.storage.s3.secretKeyEnv`. */
  path: string;
  name: string;
}

/**
 * Every secret the file refers to. Loading only checks the names: whether a variable is set matters
 * only to the commands that use it (a registry password is no concern of `eectl status`).
 */
export function secretEnvRefs(config: ClusterConfig): SecretRef[] {
  const refs: SecretRef[] = [];
  const add = (path: string, name: string | undefined) => {
    if (name) refs.push({ path, name });
  };
  config.spec.hosts.forEach((host, i) => {
    add(`spec.hosts[${i}].ssh.passwordEnv`, host.ssh.passwordEnv);
    add(`spec.hosts[${i}].ssh.keyPassphraseEnv`, host.ssh.keyPassphraseEnv);
    add(`spec.hosts[${i}].proxy.urlEnv`, host.proxy?.urlEnv);
  });
  add('spec.proxy.urlEnv', config.spec.proxy?.urlEnv);
  const storage = config.spec.registry.storage;
  if ('s3' in storage) {
    add('spec.registry.storage.s3.accessKeyEnv', storage.s3.accessKeyEnv);
    add('spec.registry.storage.s3.secretKeyEnv', storage.s3.secretKeyEnv);
  }
  if (config.spec.registry.auth?.token) {
    config.spec.access?.users.forEach((user, i) => {
      add(`spec.access.users[${i}].passwordHashEnv`, user.passwordHashEnv);
    });
  }
  config.spec.registry.auth?.htpasswd?.users.forEach((user, i) => {
    add(`spec.registry.auth.htpasswd.users[${i}].passwordEnv`, user.passwordEnv);
  });
  add('spec.identity.ldap.bindPasswordEnv', config.spec.identity.ldap?.bindPasswordEnv);
  config.spec.access?.users.forEach((user, i) => {
    add(`spec.access.users[${i}].passwordHashEnv`, user.passwordHashEnv);
  });
  return refs;
}

/** Throws a UsageError (exit 2) naming every variable among refs that is unset or empty. */
export function requireSecrets(file: string, refs: SecretRef[], env: NodeJS.ProcessEnv = process.env): void {
  const missing = refs.filter((ref) => !env[ref.name]);
  if (missing.length === 0) return;
  const lines = missing.map((ref) => `${file}: ${ref.path}: environment variable ${ref.name} is not set`);
  throw new UsageError(lines.join('\n'), {
    code: 'ESECRET',
    suggestions: [`Export ${[...new Set(missing.map((r) => r.name))].join(', ')} before running eectl.`],
  });
}
