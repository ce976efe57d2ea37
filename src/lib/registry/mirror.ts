import type { RegistryMirrorSpec, RegistrySpec } from '../config/schema.js';
import type { ObjectRef, ServiceDefinition } from '../swarm/docker.js';
import {
  CONFIG_TARGET,
  fromSecret,
  httpLines,
  SECRET_TARGETS,
  secretPath,
  STORAGE_TARGET,
} from './config-file.js';
import { contentName, REGISTRY_SERVICE } from './names.js';
import { mirrorCacheDir } from '../host-layout.js';
import { mirrorTokenService, type TokenAuthSettings } from './token-auth.js';

/**
 * Pull-through caches (`registry.mirrors`): each one is Distribution in proxy mode (`proxy.remoteurl`),
 * a global service of its own on the registry hosts, on its own port, with the registry's certificate and
 * logins. Distribution serves a proxied repository under the upstream's own name (`library/alpine`) at its
 * root, and an engine's `registry-mirrors` expects exactly such a root endpoint: so a mirror is addressed
 * by its port, not by a path prefix on the registry's port (which would need a router in front).
 */

/** The prefix of every mirror's service: `eectl-registry-mirror-<name>`. */
export const MIRROR_SERVICE_PREFIX = `${REGISTRY_SERVICE}-mirror-`;

/** A mirror's swarm service. */
export const mirrorService = (name: string): string => `${MIRROR_SERVICE_PREFIX}${name}`;

/** Where a mirror's upstream password is mounted (a swarm secret, read by the config template). */
export const mirrorPasswordTarget = (name: string): string => `${mirrorService(name)}-password`;

/** What the mirrors share with the registry: its image and the secrets already planned for it. */
export interface MirrorInputs {
  spec: RegistrySpec;
  cluster: string;
  image: string;
  /** The registry's secret references by their role (http secret, certificate, key, htpasswd). */
  registrySecrets: Partial<Record<keyof typeof SECRET_TARGETS, ObjectRef>>;
  /** Token authentication (registry.auth.token), or undefined with htpasswd. */
  token?: TokenAuthSettings | undefined;
  /** The upstream password of a mirror with passwordEnv (already registered for redaction). */
  password: (mirror: RegistryMirrorSpec) => string | undefined;
}

/** A mirror's objects (its config, its password secret) and its service. */
export interface MirrorPlan {
  name: string;
  objects: { kind: 'config' | 'secret'; name: string; content: string; template?: boolean }[];
  service: ServiceDefinition;
}

const q = (value: string): string => JSON.stringify(value);

/**
 * A mirror's config.yml, a swarm config template like the registry's: its own storage, the registry's TLS
 * and htpasswd (no auth for an `engines` mirror: an engine sends Docker Hub's login, never the mirror's),
 * and `proxy` with the password read from its secret at render time. Distribution 2.8 has no `proxy.ttl`
 * (it came with 3.0): cached content expires after its fixed 7 days, so the file offers no TTL.
 */
export function mirrorConfigYaml(
  mirror: RegistryMirrorSpec,
  cluster: string,
  token?: TokenAuthSettings,
): string {
  const lines = [
    '# Written by eectl: edit registry.mirrors in cluster.yaml and run eectl install instead.',
    'version: 0.1',
    'log:',
    '  level: info',
    '  fields:',
    `    cluster: ${q(cluster)}`,
    `    mirror: ${q(mirror.name)}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${STORAGE_TARGET}`,
    '  delete:',
    // The proxy's scheduler removes expired content through the storage driver.
    '    enabled: true',
    ...httpLines({ port: mirror.port }),
    ...(mirror.engines ? [] : authLines(mirror, cluster, token)),
    'proxy:',
    `  remoteurl: ${q(mirror.upstream)}`,
    ...(mirror.username !== undefined
      ? [`  username: ${q(mirror.username)}`, `  password: ${fromSecret(mirrorPasswordTarget(mirror.name))}`]
      : []),
    'health:',
    '  storagedriver:',
    '    enabled: true',
    '    interval: 10s',
    '    threshold: 3',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The registry's kind of login: its htpasswd, or its token service with a `service` of the mirror's own
 * (so a token for the registry is no good here, and the token service judges pulls by the mirror's name).
 */
function authLines(mirror: RegistryMirrorSpec, cluster: string, token?: TokenAuthSettings): string[] {
  if (!token) {
    return [
      'auth:',
      '  htpasswd:',
      `    realm: ${q(`eectl ${cluster} mirror ${mirror.name}`)}`,
      `    path: ${secretPath(SECRET_TARGETS.htpasswd)}`,
    ];
  }
  return [
    'auth:',
    '  token:',
    `    realm: ${q(token.realm)}`,
    `    service: ${q(mirrorTokenService(cluster, mirror.name))}`,
    `    issuer: ${q(token.issuer)}`,
    `    rootcertbundle: ${secretPath(SECRET_TARGETS.tokenCert)}`,
  ];
}

/** Every mirror's objects and service: one global service per mirror, on the registry hosts. */
export function planMirrors(input: MirrorInputs): MirrorPlan[] {
  const { registrySecrets: s } = input;
  return input.spec.mirrors.map((mirror) => {
    const config = mirrorConfigYaml(mirror, input.cluster, input.token);
    const configName = contentName(`mirror-${mirror.name}-config`, config);
    const objects: MirrorPlan['objects'] = [
      { kind: 'config', name: configName, content: config, template: true },
    ];
    const login = mirror.engines ? [] : [input.token ? s.tokenCert : s.htpasswd];
    const secrets: ObjectRef[] = [s.httpSecret, s.cert, s.key, ...login].filter(
      (r): r is ObjectRef => r !== undefined,
    );
    const password = input.password(mirror);
    if (password !== undefined) {
      const name = contentName(`mirror-${mirror.name}-password`, password);
      objects.push({ kind: 'secret', name, content: password });
      secrets.push({ source: name, target: mirrorPasswordTarget(mirror.name) });
    }
    const service: ServiceDefinition = {
      name: mirrorService(mirror.name),
      image: input.image,
      constraints: ['node.labels.eectl.role==registry'],
      hostPorts: [{ target: mirror.port, published: mirror.port }],
      configs: [{ source: configName, target: CONFIG_TARGET }],
      secrets,
      binds: [{ source: mirrorCacheDir(mirror.name), target: STORAGE_TARGET }],
      rolling: { parallelism: 1, order: 'stop-first' },
    };
    return { name: mirror.name, objects, service };
  });
}

/**
 * The daemon.json keys the `engines` mirrors ask of every engine: `registry-mirrors` with each registry
 * host's endpoint (or the external URL's host) on the mirror's port, tried in order before Docker Hub;
 * none when no mirror asks (the file's own engine.daemon then decides).
 */
export function engineMirrorKeys(
  spec: RegistrySpec,
  registryAddresses: readonly string[],
): Record<string, unknown> {
  const mirrors = spec.mirrors.filter((m) => m.engines);
  if (mirrors.length === 0) return {};
  const external = spec.externalUrl
    ? new URL(spec.externalUrl.includes('://') ? spec.externalUrl : `https://${spec.externalUrl}`).hostname
    : undefined;
  const hosts = external ? [external] : registryAddresses.map((a) => (a.includes(':') ? `[${a}]` : a));
  return { 'registry-mirrors': mirrors.flatMap((m) => hosts.map((h) => `https://${h}:${m.port}`)) };
}
