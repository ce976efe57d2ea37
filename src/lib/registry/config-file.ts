import type { RegistrySpec } from '../config/schema.js';
import { REGISTRY_SOCKET_NAME, REGISTRY_SOCKET_TARGET } from './gate-paths.js';
import type { TokenAuthSettings } from './token-auth.js';

/** Where the config is mounted: the path both the official image and the sandbox image read. */
export const CONFIG_TARGET = '/etc/docker/registry/config.yml';
/** Where every replica keeps images inside its container (a bind mount of the file's path). */
export const STORAGE_TARGET = '/var/lib/registry';

/** Secrets of the registry as the service mounts them: stable targets, content-addressed sources. */
export const SECRET_TARGETS = {
  httpSecret: 'eectl-registry-http-secret',
  htpasswd: 'eectl-registry-htpasswd',
  cert: 'eectl-registry-cert.pem',
  key: 'eectl-registry-key.pem',
  tokenCert: 'eectl-registry-token-cert.pem',
  s3AccessKey: 'eectl-registry-s3-access-key',
  s3SecretKey: 'eectl-registry-s3-secret-key',
} as const;

/** The path of a secret inside a replica. */
export const secretPath = (target: string): string => `/run/secrets/${target}`;

/**
 * A value the swarm fills in from a secret when it renders the config for a task (a `golang` templated
 * config): the config object itself holds no secret, and `%q` makes any value a valid YAML scalar.
 */
const fromSecret = (target: string): string => `{{ printf "%q" (secret "${target}") }}`;

const q = (value: string): string => JSON.stringify(value);

/**
 * The registry's config.yml, one for every replica, as a swarm config template: http.secret (shared, so
 * an upload begun on one replica finishes on another) and S3 keys come from secrets at render time.
 */
export function registryConfigYaml(spec: RegistrySpec, cluster: string, token?: TokenAuthSettings): string {
  const lines = [
    '# Written by eectl: edit the registry section of cluster.yaml and run eectl install instead.',
    'version: 0.1',
    'log:',
    '  level: info',
    '  fields:',
    `    cluster: ${q(cluster)}`,
    'storage:',
    ...storageLines(spec.storage),
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    // One replica must not purge another's upload in progress on shared storage.
    '      enabled: false',
    'http:',
    ...listenLines(spec),
    `  secret: ${fromSecret(SECRET_TARGETS.httpSecret)}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    'auth:',
    ...(token
      ? [
          // Only the token-signing certificate: trusting the CA would let any client bundle's key sign tokens.
          '  token:',
          `    realm: ${q(token.realm)}`,
          `    service: ${q(token.service)}`,
          `    issuer: ${q(token.issuer)}`,
          `    rootcertbundle: ${secretPath(SECRET_TARGETS.tokenCert)}`,
        ]
      : [
          '  htpasswd:',
          `    realm: ${q(`eectl ${cluster} registry`)}`,
          `    path: ${secretPath(SECRET_TARGETS.htpasswd)}`,
        ]),
    'health:',
    '  storagedriver:',
    '    enabled: true',
    '    interval: 10s',
    '    threshold: 3',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Where Distribution listens: its TCP port with TLS; or, with immutable repositories, only a unix socket
 * in a root-only folder of the host, behind the gate that serves the port (registry/gate.ts).
 */
function listenLines(spec: RegistrySpec): string[] {
  if (spec.immutable.length > 0) {
    return ['  net: unix', `  addr: ${q(`${REGISTRY_SOCKET_TARGET}/${REGISTRY_SOCKET_NAME}`)}`];
  }
  return [
    `  addr: ":${spec.port}"`,
    '  tls:',
    `    certificate: ${secretPath(SECRET_TARGETS.cert)}`,
    `    key: ${secretPath(SECRET_TARGETS.key)}`,
  ];
}

function storageLines(storage: RegistrySpec['storage']): string[] {
  if ('filesystem' in storage) return ['  filesystem:', `    rootdirectory: ${STORAGE_TARGET}`];
  const s3 = storage.s3;
  return [
    '  s3:',
    `    region: ${q(s3.region)}`,
    `    bucket: ${q(s3.bucket)}`,
    ...(s3.endpoint ? [`    regionendpoint: ${q(s3.endpoint)}`] : []),
    `    accesskey: ${fromSecret(SECRET_TARGETS.s3AccessKey)}`,
    `    secretkey: ${fromSecret(SECRET_TARGETS.s3SecretKey)}`,
  ];
}
