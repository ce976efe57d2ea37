import type { RegistrySpec } from '../config/schema.js';
import { REGISTRY_SOCKET_NAME, REGISTRY_SOCKET_TARGET } from './gate-paths.js';
import type { TokenAuthSettings } from './token-auth.js';
import { RELAY_HOSTNAME } from '../webhooks/names.js';
import { RELAY_PORT } from '../host-layout.js';

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
  webhookToken: 'eectl-registry-webhook-token',
} as const;

/** The path of a secret inside a replica. */
export const secretPath = (target: string): string => `/run/secrets/${target}`;

/**
 * A value the swarm fills in from a secret when it renders the config for a task (a `golang` templated
 * config): the config object itself holds no secret, and `%q` makes any value a valid YAML scalar.
 */
export const fromSecret = (target: string): string => `{{ printf "%q" (secret "${target}") }}`;

const q = (value: string): string => JSON.stringify(value);

/**
 * The `http` section of a replica's config (the registry's and each mirror's): its port, the shared secret
 * (an upload begun on one replica finishes on another), the registry's TLS certificate, no MIME sniffing.
 */
export function httpLines(listen: { port: number } | { socket: string }): string[] {
  const tcp = 'port' in listen;
  return [
    'http:',
    // With immutable repositories only a unix socket in a root-only folder, behind the gate (registry/gate.ts).
    ...(tcp ? [`  addr: ":${listen.port}"`] : ['  net: unix', `  addr: ${q(listen.socket)}`]),
    `  secret: ${fromSecret(SECRET_TARGETS.httpSecret)}`,
    ...(tcp
      ? [
          '  tls:',
          `    certificate: ${secretPath(SECRET_TARGETS.cert)}`,
          `    key: ${secretPath(SECRET_TARGETS.key)}`,
        ]
      : []),
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
}

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
    ...httpLines(
      spec.immutable.length > 0
        ? { socket: `${REGISTRY_SOCKET_TARGET}/${REGISTRY_SOCKET_NAME}` }
        : { port: spec.port },
    ),
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
    ...notificationLines(spec.notifications),
  ];
  return `${lines.join('\n')}\n`;
}

/** The actions Distribution reports; an endpoint gets only its `events`. */
const ACTIONS = ['push', 'pull', 'mount', 'delete'] as const;

/**
 * One Distribution endpoint per webhook, each at the relay on the replica's own host (webhooks/relay.ts),
 * which signs and forwards: Distribution keeps the queue and retries (threshold, backoff) and counts. The
 * relay's bearer token comes from a secret at render time. Only manifest events: blob pushes are ignored.
 */
function notificationLines(endpoints: RegistrySpec['notifications']): string[] {
  if (endpoints.length === 0) return [];
  const bearer = `{{ printf "%q" (printf "Bearer %s" (secret "${SECRET_TARGETS.webhookToken}")) }}`;
  return [
    'notifications:',
    '  endpoints:',
    ...endpoints.flatMap((e) => [
      `    - name: ${q(e.name)}`,
      `      url: ${q(`http://${RELAY_HOSTNAME}:${RELAY_PORT}/${e.name}`)}`,
      '      headers:',
      `        Authorization: [${bearer}]`,
      '      timeout: 15s',
      '      threshold: 3',
      '      backoff: 5s',
      '      ignore:',
      '        mediatypes: [application/octet-stream]',
      `        actions: [${ACTIONS.filter((a) => !(e.events as string[]).includes(a)).join(', ')}]`,
    ]),
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
