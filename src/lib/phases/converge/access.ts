import { oncePer } from '../../util/once-per.js';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterContext } from '../runner/cluster-context.js';
import { managers } from '../runner/cluster-context.js';
import { compileImagePolicy, compilePolicy, compileRegistryRules } from '../../access/compile.js';
import { BCRYPT_HASH, type AccessPolicy } from '../../access/model.js';
import {
  ACCESS_DIR,
  AUTHZ_DIR,
  AUTHZ_ENTRY,
  AUTHZ_MANIFEST,
  AUTHZ_NODE,
  AUTHZ_UNIT,
  AUTHZ_UNIT_NAME,
  PLUGIN_NAME,
  PLUGIN_SOCKET,
  PLUGIN_SPEC,
  POLICY_FILE,
  REGISTRY_LOGINS_FILE,
  REGISTRY_LOGINS_SUM,
  TOKEN_ENTRY,
  TOKEN_UNIT,
  TOKEN_UNIT_NAME,
} from '../../host-layout.js';
import { parsePolicy } from '../../access/plugin.js';
import { tokenAuthSettings } from '../../registry/token-auth.js';
import { addSecret } from '../../util/redact.js';
import { UsageError } from '../../errors.js';
import type { Host } from '../../host/host.js';
import type { PhaseOutput } from '../runner/phase.js';
import type { NodeRuntime } from '../../access/runtime.js';
import { nodeProgram, programUnit, sha256, uploadRuntime, type ProgramFile } from './node-program.js';
import { REGISTRY_SERVICE } from '../../registry/names.js';
import { directoryRead } from './directory-read.js';

/**
 * The plugin's modules, by their path under dist/lib, uploaded as they are into the same folders under
 * AUTHZ_DIR (so their relative imports hold): they import only node: built-ins and each other.
 */
export const PLUGIN_MODULES = [
  'access/model.js',
  'config/access-names.js',
  'access/json-fields.js',
  'access/routes.js',
  'access/allow-list.js',
  'access/placement.js',
  'access/policy.js',
  'access/signed-images.js',
  'access/paths.js',
  'host-layout.js',
  'access/plugin.js',
  'access/registry-scopes.js',
  'access/registry-token.js',
  'access/directory-bind.js',
  'access/token-service.js',
  'access/watcher-rule.js',
  'pki/trust-bundle.js',
  'ingress/routes.js',
  'ingress/names.js',
  'images/policy.js',
  'images/reference.js',
  'images/registry-client.js',
  'images/signatures.js',
  'images/simple-signing.js',
  'util/p256-key.js',
  'errors.js',
  'util/redact.js',
];

/**
 * The plugin's unit: a plain service (not a container, so an engine restart or upgrade never stops it),
 * ordered before the engine, which refuses to start while an authorization plugin it names does not answer.
 * Restarted at once when it dies; its stdout (one JSON line per decision) is the audit log in journald.
 */
export function authzUnit(): string {
  return programUnit({
    about: 'the authorization plugin of the engine API on this manager.',
    description: 'eectl authorization plugin for the Docker engine API (docker.authz/1.0)',
    order: 'Before=docker.service',
    execStart: `${AUTHZ_NODE} ${AUTHZ_ENTRY}`,
    service: AUDITED_SERVICE,
    wantedBy: 'multi-user.target docker.service',
  });
}

/** The restart and logging of the managers' programs: no journald rate limit, since their stdout is an audit log. */
const AUDITED_SERVICE = [
  'Restart=always',
  'RestartSec=1',
  'LogRateLimitIntervalSec=0',
  'NoNewPrivileges=yes',
  'ProtectHome=yes',
];

/**
 * The npm packages the token service imports, each one self-contained ESM file with only node: built-ins
 * (checked by a test), uploaded as node_modules/<name>/ with a package.json so the bare import resolves.
 */
export const VENDORED_PACKAGES = [
  { name: 'bcryptjs', entry: 'index.js', files: ['index.js', 'LICENSE'] },
  { name: 'ldapts', entry: 'dist/index.mjs', files: ['dist/index.mjs', 'LICENSE'] },
] as const;

/**
 * The registry's token service: the same runtime and folder as the plugin, its own unit, restarted at
 * once when it dies; its stdout (one JSON line per token issued or refused) is its audit log in journald.
 */
export function tokenUnit(port: number): string {
  return programUnit({
    about: 'the registry token service on this manager (registry.auth.token).',
    description: 'eectl registry token service (Distribution token authentication)',
    order: 'After=network-online.target',
    execStart: `${AUTHZ_NODE} ${TOKEN_ENTRY} --port ${port}`,
    service: AUDITED_SERVICE,
  });
}

/**
 * The file users' registry password hashes (`passwordHashEnv`, bcrypt), checked here before any host
 * changes: a value that is not a bcrypt hash is refused with the variable's name.
 */
export function registryLogins(
  access: NonNullable<ClusterContext['config']['spec']['access']>,
  env: NodeJS.ProcessEnv,
): string {
  const users: Record<string, string> = {};
  for (const u of access.users) {
    if (u.passwordHashEnv === undefined) continue;
    const hash = env[u.passwordHashEnv];
    if (!hash) {
      throw new UsageError(
        `spec.access.users ${u.name}: passwordHashEnv ${u.passwordHashEnv} is not set in the environment`,
        {
          code: 'EREGISTRY_SECRET_ENV',
          suggestions: [
            `Export ${u.passwordHashEnv} with a bcrypt hash, e.g. from: htpasswd -niBC 10 ${u.name} | cut -d: -f2- (the password on stdin)`,
          ],
        },
      );
    }
    addSecret(hash);
    if (!BCRYPT_HASH.test(hash)) {
      throw new UsageError(
        `spec.access.users ${u.name}: ${u.passwordHashEnv} is not a bcrypt hash ($2b$10$… , 60 characters)`,
        {
          code: 'EREGISTRY_PASSWORD_HASH',
          suggestions: [
            `Make one with: htpasswd -niBC 10 ${u.name} | cut -d: -f2- (the password on stdin, or any bcrypt tool), and export it as ${u.passwordHashEnv}.`,
          ],
        },
      );
    }
    users[u.name] = hash;
  }
  return `${JSON.stringify({ users }, null, 2)}\n`;
}

/**
 * What every manager gets when the plugin runs, decided once per run: with `spec.access`, with
 * `spec.images.policy.requireSigned` (access control off then: every certificate has full control, images
 * are checked), with `spec.ingress` (the watcher's certificate has its own narrow rule, access control on
 * or off), and where a manager has the plugin already (so turning either off writes a policy that
 * says so, instead of leaving the last one enforced).
 */
export interface AccessPlan {
  policyJson: string;
  runtime: NodeRuntime;
  files: ProgramFile[];
  /** Checksums of everything in AUTHZ_DIR and the unit: equal to the host's manifest means nothing to upload. */
  manifest: string;
  /** With token auth: the file users' hashes (secret) and its SHA-256 (public, compared with the facts). */
  logins?: { json: string; sum: string };
}

/** The access plan of this run (memoised), or undefined when no manager needs the plugin. */
export const accessPlan: (ctx: ClusterContext) => Promise<AccessPlan | undefined> = oncePer(buildPlan);

async function buildPlan(ctx: ClusterContext): Promise<AccessPlan | undefined> {
  const access = ctx.config.spec.access;
  const requireSigned = ctx.config.spec.images.policy.requireSigned;
  const installed = managers(ctx).some((h) => h.facts?.files[AUTHZ_MANIFEST] !== undefined);
  // The ingress watcher's certificate is held to its own rule by the plugin, so the ingress needs it too.
  const ingress = ctx.config.spec.ingress !== undefined;
  if (!access && !requireSigned && !ingress && !installed) return undefined;
  for (const host of managers(ctx)) {
    if (host.known.arch !== 'amd64') {
      throw new UsageError(
        `${host.name}: the authorization plugin runs Node.js for linux-x64, and this manager is ${host.known.arch}`,
        {
          code: 'EACCESS_ARCH',
          host: host.name,
          suggestions: ['Use amd64 managers, or remove spec.access and images.policy.requireSigned.'],
        },
      );
    }
  }
  const current = managers(ctx).flatMap((host): AccessPolicy[] => {
    const text = host.facts?.files[POLICY_FILE];
    if (text === undefined) return [];
    try {
      return [parsePolicy(text)];
    } catch {
      host.log.warn(
        `${POLICY_FILE} is not a policy eectl can read: it is replaced, and its revocations are lost`,
      );
      return [];
    }
  });
  // The registry's service as this run deploys it (an image ID when a bundle brings the image).
  const ownImages = [ctx.config.spec.registry.image, ...(ctx.registry ? [ctx.registry.service.image] : [])];
  const images = compileImagePolicy(ctx.config, ownImages, [REGISTRY_SERVICE]);
  const directory = await directoryRead(ctx);
  const compiled = compilePolicy(
    ctx.config.metadata.name,
    access,
    current,
    new Date(),
    images,
    directory?.input,
  );
  const registryRules = compileRegistryRules(ctx.config);
  const policy = keepSyncTime({ ...compiled, ...(registryRules && { registry: registryRules }) }, current);
  const token = tokenAuthSettings(ctx.config);
  const loginsJson = token && access ? registryLogins(access, process.env) : undefined;
  const policyJson = `${JSON.stringify(policy, null, 2)}\n`;
  const program = await nodeProgram(AUTHZ_DIR, PLUGIN_MODULES, [
    ...(await vendoredFiles()),
    { path: AUTHZ_UNIT, content: authzUnit(), mode: 0o644 },
    ...(token ? [{ path: TOKEN_UNIT, content: tokenUnit(token.port), mode: 0o644 }] : []),
    { path: PLUGIN_SPEC, content: `unix://${PLUGIN_SOCKET}\n`, mode: 0o644 },
  ]);
  return {
    policyJson,
    ...program,
    ...(loginsJson !== undefined && { logins: { json: loginsJson, sum: `${sha256(loginsJson)}\n` } }),
  };
}

/** The vendored packages' files under AUTHZ_DIR/node_modules, each with a package.json naming its entry. */
async function vendoredFiles(): Promise<{ path: string; content: string; mode: number }[]> {
  const out: { path: string; content: string; mode: number }[] = [];
  for (const pkg of VENDORED_PACKAGES) {
    const dir = `${AUTHZ_DIR}/node_modules/${pkg.name}`;
    const root = vendoredPackageRoot(pkg.name);
    for (const file of pkg.files) {
      out.push({ path: `${dir}/${file}`, content: await readFile(join(root, file), 'utf8'), mode: 0o644 });
    }
    const manifest = { name: pkg.name, type: 'module', exports: `./${pkg.entry}` };
    out.push({ path: `${dir}/package.json`, content: `${JSON.stringify(manifest)}\n`, mode: 0o644 });
  }
  return out;
}

/** Where an installed package is, found as Node finds it: node_modules folders up from this module. */
export function vendoredPackageRoot(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the npm package ${name} is not installed next to eectl`);
    dir = parent;
  }
}

/**
 * A policy that says the same as a manager's but for the time of the directory read keeps that manager's
 * time: a run that finds nothing new in the directory writes nothing (install stays converged).
 */
export function keepSyncTime(policy: AccessPolicy, current: readonly AccessPolicy[]): AccessPolicy {
  if (!policy.directory) return policy;
  for (const old of current) {
    const syncedAt = old.directory?.syncedAt;
    if (syncedAt === undefined) continue;
    const same = { ...policy, directory: { ...policy.directory, syncedAt } };
    if (JSON.stringify(same) === JSON.stringify(old)) return same;
  }
  return policy;
}

function parseManifest(text: string): { node?: string; files?: Record<string, string> } {
  try {
    return JSON.parse(text) as { node?: string; files?: Record<string, string> };
  } catch {
    return {};
  }
}

/** daemon.json keys a host needs for access control: managers name the plugin. */
export async function accessDaemonKeys(ctx: ClusterContext, host: Host): Promise<Record<string, unknown>> {
  if (!host.isManager || !(await accessPlan(ctx))) return {};
  const own = ctx.config.spec.engine.daemon['authorization-plugins'];
  const listed = Array.isArray(own) ? own.filter((p): p is string => typeof p === 'string') : [];
  return { 'authorization-plugins': [...new Set([...listed, PLUGIN_NAME])] };
}

/**
 * Installs or updates the plugin on a manager, before its engine starts with the daemon.json that names
 * it (a fresh engine then never runs without it): runtime, modules and unit when the manifest differs, the
 * policy when it differs (the plugin reads it again by itself), and the service started when it is not.
 */
export async function deployAuthz(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  if (!host.isManager) return;
  const plan = await accessPlan(ctx);
  if (!plan) return;
  const files = host.facts?.files ?? {};
  const installed = files[AUTHZ_MANIFEST];
  const tokenService = plan.files.some((f) => f.path === TOKEN_UNIT);
  let restart = false;
  if (installed !== plan.manifest) {
    await ctx.changes.apply(
      host,
      `install the authorization plugin (Node.js ${plan.runtime.version}) in ${AUTHZ_DIR}`,
      async () => {
        const dirs = plan.files
          .filter((f) => f.path.startsWith(`${AUTHZ_DIR}/`))
          .map((f) => f.path.slice(0, f.path.lastIndexOf('/')));
        await host.sudo(['install', '-d', '-m', '0755', ...new Set(dirs), ACCESS_DIR, '/etc/docker/plugins']);
        const old = installed ? parseManifest(installed) : {};
        if (old.node !== plan.runtime.sha256) {
          const mb = (plan.runtime.bytes / 1048576).toFixed(0);
          out.report(host.name, `uploading Node.js ${plan.runtime.version} (${mb} MB)`);
          await uploadRuntime(host, plan.runtime, AUTHZ_NODE);
        }
        for (const f of plan.files) await host.conn.upload(f.path, f.content, { mode: f.mode, sudo: true });
        // Modules an older eectl put elsewhere (the first layout was flat) would only confuse a reader.
        const gone = Object.keys(old.files ?? {}).filter(
          (p) => p.startsWith(`${AUTHZ_DIR}/`) && !plan.files.some((f) => f.path === p),
        );
        if (gone.length > 0) await host.sudo(['rm', '-f', '--', ...gone]);
        if (old.files?.[TOKEN_UNIT] !== undefined && !plan.files.some((f) => f.path === TOKEN_UNIT)) {
          await host.sudo(['systemctl', 'disable', '--now', TOKEN_UNIT_NAME], { check: false });
        }
        await host.sudo(['systemctl', 'daemon-reload']);
        await host.sudo(['systemctl', 'enable', AUTHZ_UNIT_NAME]);
        if (tokenService) await host.sudo(['systemctl', 'enable', TOKEN_UNIT_NAME]);
      },
    );
    restart = true;
  }
  if (files[POLICY_FILE] !== plan.policyJson) await writePolicy(ctx, host, plan.policyJson);
  if (plan.logins && files[REGISTRY_LOGINS_SUM] !== plan.logins.sum) {
    const logins = plan.logins;
    await ctx.changes.apply(
      host,
      `write the registry logins ${REGISTRY_LOGINS_FILE} (root only)`,
      async () => {
        await host.sudo(['install', '-d', '-m', '0755', ACCESS_DIR]);
        await host.conn.upload(REGISTRY_LOGINS_FILE, logins.json, { mode: 0o600, sudo: true });
        await host.conn.upload(REGISTRY_LOGINS_SUM, logins.sum, { mode: 0o644, sudo: true });
      },
    );
  }
  if (ctx.changes.dryRun) return;
  if (tokenService) await startService(ctx, host, TOKEN_UNIT_NAME, restart);
  const active =
    (await host.exec(['systemctl', 'is-active', AUTHZ_UNIT_NAME], { check: false })).stdout.trim() ===
    'active';
  if (restart || !active) {
    await ctx.changes.apply(host, `${active ? 'restart' : 'start'} ${AUTHZ_UNIT_NAME}`, async () => {
      await host.sudo(['systemctl', active ? 'restart' : 'start', AUTHZ_UNIT_NAME]);
    });
  }
  if (restart) await host.conn.upload(AUTHZ_MANIFEST, plan.manifest, { mode: 0o644, sudo: true });
}

/** Writes the policy file on a manager (through the change log); the plugin reads it again by itself. */
export async function writePolicy(
  ctx: Pick<ClusterContext, 'changes'>,
  host: Host,
  policyJson: string,
): Promise<void> {
  await ctx.changes.apply(host, `write the access policy ${POLICY_FILE}`, async () => {
    await host.sudo(['install', '-d', '-m', '0755', ACCESS_DIR]);
    // World-readable like the certificates: names and grants, no secret; the facts read it as the login user.
    await host.conn.upload(POLICY_FILE, policyJson, { mode: 0o644, sudo: true });
  });
}

/** Starts a unit that is not running, or restarts it after its files changed. */
async function startService(ctx: ClusterContext, host: Host, unit: string, restart: boolean): Promise<void> {
  const active =
    (await host.exec(['systemctl', 'is-active', unit], { check: false })).stdout.trim() === 'active';
  if (!restart && active) return;
  await ctx.changes.apply(host, `${active ? 'restart' : 'start'} ${unit}`, async () => {
    await host.sudo(['systemctl', active ? 'restart' : 'start', unit]);
  });
}
