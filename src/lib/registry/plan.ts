import { randomBytes, X509Certificate } from 'node:crypto';
import type { RegistrySpec } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { ObjectRef, ServiceDefinition } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import {
  issueServerCert,
  issueTokenSigningCert,
  RENEW_BEFORE_DAYS,
  type CertifiedKey,
} from '../pki/certificates.js';
import { keyMatchesCert } from '../pki/keys.js';
import { serverCertificateProblem } from '../pki/inspect.js';
import { addSecret } from '../util/redact.js';
import { CONFIG_TARGET, registryConfigYaml, SECRET_TARGETS, STORAGE_TARGET } from './config-file.js';
import { REGISTRY_SOCKET_DIR, REGISTRY_SOCKET_TARGET } from './gate-paths.js';
import { htpasswdFile, type RegistryUser } from './htpasswd.js';
import { planMirrors, type MirrorPlan } from './mirror.js';
import { contentName, REGISTRY_SERVICE } from './names.js';
import {
  REGISTRY_ADMIN_PASSWORD_FILE,
  REGISTRY_CERT_FILE,
  REGISTRY_HTPASSWD_FILE,
  REGISTRY_HTTP_SECRET_FILE,
  REGISTRY_KEY_FILE,
  REGISTRY_TOKEN_CERT_FILE,
  REGISTRY_TOKEN_KEY_FILE,
  REGISTRY_WEBHOOK_TOKEN_FILE,
  RELAY_PORT,
} from '../host-layout.js';
import { RELAY_HOSTNAME } from '../webhooks/names.js';
import type { RelaySettings } from '../webhooks/relay.js';
import type { TokenAuthSettings } from './token-auth.js';
import type { RegistryState } from './state.js';
import { registryCertNames } from './trust.js';

/** The user whose password eectl generates when the file names none. */
export const ADMIN_USER = 'admin';

/** A swarm config or secret the registry needs, by its content-addressed name. */
export interface RegistryObject {
  kind: 'config' | 'secret';
  name: string;
  content: string;
  /** Rendered by the swarm per task (the config reads secrets this way). */
  template?: boolean;
}

/** A replica's `/v2/` as last checked. */
export interface ReplicaHealth {
  host: string;
  url: string;
  healthy: boolean;
  /** HTTP status, or why there is none. */
  detail: string;
}

/** Everything the registry needs, decided before any host changes (phases/registry-plan.ts). */
export interface RegistryPlan {
  service: ServiceDefinition;
  objects: RegistryObject[];
  /** What every manager keeps in /etc/eectl/registry (path → content and mode). */
  stateFiles: Map<string, { content: string; mode: number }>;
  /** Set only on the run that generated the admin password: shown once, in the install result. */
  generatedAdminPassword?: string;
  /** Why the server certificate was issued on this run, when it was. */
  certReason?: string;
  replicas: ReplicaHealth[];
  /** The pull-through caches (registry.mirrors): their objects are in `objects` too. */
  mirrors: MirrorPlan[];
  /** Each mirror replica's `/v2/` as last checked. */
  mirrorReplicas: ReplicaHealth[];
  /** The webhook relay's settings for every registry host (with its secrets), when there are webhooks. */
  relay?: RelaySettings;
}

/** What the plan is made from: the file's registry section, the environment and what a manager kept. */
export interface RegistryPlanInput {
  spec: RegistrySpec;
  cluster: string;
  registryHosts: readonly Host[];
  env: NodeJS.ProcessEnv;
  /** The state files a manager has (empty on a new cluster). */
  state: RegistryState;
  caCertPem: string;
  /** The CA's key, read only when a certificate must be issued. */
  caKey: () => Promise<string>;
  /** The image's ID when a bundle brings it: the service names it so, and no replica start pulls. */
  imageId?: string | undefined;
  /**
   * Keep the admin's password on the managers also when the file gives it (passwordEnv): the managers'
   * plugin reads signatures with it when signed images are required.
   */
  keepAdminPassword?: boolean;
  /** Token authentication (registry.auth.token): no htpasswd and no admin password, a token-signing key. */
  token?: TokenAuthSettings | undefined;
  /** Issue the certificates again although the kept ones are good (`certs rotate`), with this reason. */
  renew?: string | undefined;
  now?: Date;
}

function fromEnv(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (!value) {
    throw new UsageError(`${what}: the environment variable ${name} is not set`, {
      code: 'EREGISTRY_SECRET_ENV',
      suggestions: [`Export ${name} before running eectl (secrets come from the environment only).`],
    });
  }
  addSecret(value);
  return value;
}

/** The file's users with their passwords, plus `admin` with a kept or new password when the file has none. */
function registryUsers(input: RegistryPlanInput): { users: RegistryUser[]; generated?: string } {
  const listed = input.spec.auth?.htpasswd?.users ?? [];
  const users = listed.map((u) => ({
    name: u.name,
    password: fromEnv(input.env, u.passwordEnv, `registry user ${u.name}`),
  }));
  if (users.some((u) => u.name === ADMIN_USER)) return { users };
  const kept = input.state.get(REGISTRY_ADMIN_PASSWORD_FILE)?.trim();
  const password = kept || randomBytes(18).toString('base64url');
  addSecret(password);
  return { users: [{ name: ADMIN_USER, password }, ...users], ...(kept ? {} : { generated: password }) };
}

/** The kept server certificate while it is valid for the registry's names, else a new one. */
async function serverCert(input: RegistryPlanInput): Promise<CertifiedKey & { reason?: string }> {
  const names = registryCertNames(input.registryHosts, input.spec);
  const certPem = input.state.get(REGISTRY_CERT_FILE);
  const keyPem = input.state.get(REGISTRY_KEY_FILE);
  const problem =
    keyPem === undefined
      ? 'no registry certificate yet'
      : (serverCertificateProblem(certPem, input.caCertPem, names, input.now) ?? input.renew);
  if (!problem) return { certPem: certPem!, keyPem: keyPem! };
  const caKey = await input.caKey();
  const cert = await issueServerCert({ certPem: input.caCertPem, keyPem: caKey }, names, input.now);
  addSecret(cert.keyPem);
  return { ...cert, reason: problem.replace('server certificate', 'registry certificate') };
}

/** Why a kept token-signing certificate must be replaced, or undefined while it is good. */
export function tokenSigningCertProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  caCertPem: string,
  now = new Date(),
): string | undefined {
  if (!certPem || !keyPem) return 'no token-signing certificate yet';
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caCertPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      return 'the token-signing certificate is from another CA';
    if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_DAYS * 86_400_000)
      return 'the token-signing certificate expires soon';
    if (!keyMatchesCert(keyPem, certPem)) return 'the token-signing key does not match its certificate';
  } catch {
    return 'the token-signing certificate could not be read';
  }
  return undefined;
}

/** The kept token-signing certificate while it is good, else a new one from the CA. */
async function tokenSigningCert(input: RegistryPlanInput): Promise<CertifiedKey & { reason?: string }> {
  const certPem = input.state.get(REGISTRY_TOKEN_CERT_FILE);
  const keyPem = input.state.get(REGISTRY_TOKEN_KEY_FILE);
  const problem = tokenSigningCertProblem(certPem, keyPem, input.caCertPem, input.now) ?? input.renew;
  if (!problem) return { certPem: certPem!, keyPem: keyPem! };
  const cert = await issueTokenSigningCert(
    { certPem: input.caCertPem, keyPem: await input.caKey() },
    input.cluster,
    input.now,
  );
  addSecret(cert.keyPem);
  return { ...cert, reason: problem };
}

/** Decides the registry: users and htpasswd, http secret, certificate, config, secrets, the service. */
export async function planRegistry(input: RegistryPlanInput): Promise<RegistryPlan> {
  const { spec } = input;
  const httpSecret = input.state.get(REGISTRY_HTTP_SECRET_FILE)?.trim() || randomBytes(32).toString('hex');
  addSecret(httpSecret);
  const cert = await serverCert(input);
  const config = registryConfigYaml(spec, input.cluster, input.token);

  const secrets: [keyof typeof SECRET_TARGETS, string, string][] = [
    ['httpSecret', 'http-secret', httpSecret],
    ['cert', 'cert', cert.certPem],
    ['key', 'key', cert.keyPem],
  ];
  // Token auth: no passwords at all here (the token service checks them); htpasswd: the users' file.
  const { users, generated } = input.token ? { users: [], generated: undefined } : registryUsers(input);
  const htpasswd = input.token
    ? undefined
    : await htpasswdFile(users, input.state.get(REGISTRY_HTPASSWD_FILE));
  const signing = input.token ? await tokenSigningCert(input) : undefined;
  if (htpasswd !== undefined) secrets.push(['htpasswd', 'htpasswd', htpasswd]);
  if (signing) secrets.push(['tokenCert', 'token-cert', signing.certPem]);
  const relay = relaySettings(input);
  if (relay) secrets.push(['webhookToken', 'webhook-token', relay.token]);
  if ('s3' in spec.storage) {
    const s3 = spec.storage.s3;
    secrets.push([
      's3AccessKey',
      's3-access-key',
      fromEnv(input.env, s3.accessKeyEnv, 'registry S3 access key'),
    ]);
    secrets.push([
      's3SecretKey',
      's3-secret-key',
      fromEnv(input.env, s3.secretKeyEnv, 'registry S3 secret key'),
    ]);
  }
  const objects: RegistryObject[] = [
    { kind: 'config', name: contentName('config', config), content: config, template: true },
    ...secrets.map(([, kind, content]) => ({
      kind: 'secret' as const,
      name: contentName(kind, content),
      content,
    })),
  ];
  const secretRefs: ObjectRef[] = secrets.map(([target], i) => ({
    source: objects[i + 1]!.name,
    target: SECRET_TARGETS[target],
  }));
  const gated = spec.immutable.length > 0;
  const service: ServiceDefinition = {
    name: REGISTRY_SERVICE,
    image: input.imageId ?? spec.image,
    constraints: ['node.labels.eectl.role==registry'],
    // Immutable repositories: no port at all, the gate on the host serves it (no way around the check).
    hostPorts: gated ? [] : [{ target: spec.port, published: spec.port }],
    configs: [{ source: objects[0]!.name, target: CONFIG_TARGET }],
    secrets: secretRefs,
    binds: [
      ...('filesystem' in spec.storage
        ? [{ source: spec.storage.filesystem.path, target: STORAGE_TARGET }]
        : []),
      ...(gated ? [{ source: REGISTRY_SOCKET_DIR, target: REGISTRY_SOCKET_TARGET }] : []),
    ],
    rolling: { parallelism: 1, order: 'stop-first' },
    // Each replica reaches the relay on its own host at the engine's host-gateway address.
    ...(relay ? { extraHosts: [`${RELAY_HOSTNAME}:host-gateway`] } : {}),
  };
  const stateFiles = new Map([
    [REGISTRY_CERT_FILE, { content: cert.certPem, mode: 0o644 }],
    [REGISTRY_KEY_FILE, { content: cert.keyPem, mode: 0o600 }],
    [REGISTRY_HTTP_SECRET_FILE, { content: `${httpSecret}\n`, mode: 0o600 }],
  ]);
  if (htpasswd !== undefined) stateFiles.set(REGISTRY_HTPASSWD_FILE, { content: htpasswd, mode: 0o600 });
  if (signing) {
    stateFiles.set(REGISTRY_TOKEN_CERT_FILE, { content: signing.certPem, mode: 0o644 });
    stateFiles.set(REGISTRY_TOKEN_KEY_FILE, { content: signing.keyPem, mode: 0o600 });
  }
  const mirrors = planMirrors({
    spec,
    cluster: input.cluster,
    image: service.image,
    token: input.token,
    registrySecrets: Object.fromEntries(secrets.map(([target], i) => [target, secretRefs[i]!])),
    password: (m) =>
      m.passwordEnv === undefined
        ? undefined
        : fromEnv(input.env, m.passwordEnv, `mirror ${m.name}'s upstream password`),
  });
  for (const m of mirrors) objects.push(...m.objects);
  if (relay) stateFiles.set(REGISTRY_WEBHOOK_TOKEN_FILE, { content: `${relay.token}\n`, mode: 0o600 });
  const admin = users.find((u) => u.name === ADMIN_USER);
  const givenAdmin = spec.auth?.htpasswd?.users.some((u) => u.name === ADMIN_USER) === true;
  if (admin && (!givenAdmin || input.keepAdminPassword)) {
    stateFiles.set(REGISTRY_ADMIN_PASSWORD_FILE, { content: `${admin.password}\n`, mode: 0o600 });
  }
  return {
    service,
    objects,
    stateFiles,
    ...(generated ? { generatedAdminPassword: generated } : {}),
    ...(cert.reason || signing?.reason
      ? { certReason: [...new Set([cert.reason, signing?.reason].filter(Boolean))].join('; ') }
      : {}),
    replicas: [],
    mirrors,
    mirrorReplicas: [],
    ...(relay ? { relay } : {}),
  };
}

/** The relay's settings: a kept (or new) token for the replicas, each endpoint's signing secret from the environment. */
function relaySettings(input: RegistryPlanInput): RelaySettings | undefined {
  const endpoints = input.spec.notifications;
  if (endpoints.length === 0) return undefined;
  const token = input.state.get(REGISTRY_WEBHOOK_TOKEN_FILE)?.trim() || randomBytes(32).toString('hex');
  addSecret(token);
  return {
    port: RELAY_PORT,
    token,
    endpoints: endpoints.map((e) => ({
      name: e.name,
      url: e.url,
      secret: fromEnv(input.env, e.secretEnv, `registry webhook ${e.name}`),
    })),
  };
}
