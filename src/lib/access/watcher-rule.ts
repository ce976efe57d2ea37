import { createHash } from 'node:crypto';
import { routingTable, type ServiceForRouting } from '../ingress/routes.js';
import {
  INGRESS_CONFIG_FILTER,
  INGRESS_OBJECT_NAME,
  INGRESS_OBJECT_PREFIX,
  PROXY_SERVICE,
  SYNC_KINDS,
  SYNC_SERVICE,
  SYNC_TARGETS,
} from '../ingress/names.js';
import { parseBody } from './json-fields.js';
import type { Lookup } from './policy.js';
import type { RoutedRequest } from './routes.js';

/**
 * The ingress watcher's own rule in the authorization plugin: what the client certificate with the CN
 * WATCHER_USER may do, whatever the access policy says (access control on or off). It is an admit-list
 * of the watcher's own requests, read with the plugin's router and body reader (as the engine reads
 * them); anything else is refused:
 * - `GET /info`, `GET /nodes/{id}`: is this manager the leader;
 * - `GET /services`, `GET /secrets`: the routes (labels) and the TLS secrets' IDs (names, never data);
 * - `GET /configs` with exactly the ingress label's filter: the ingress's own configs; `GET /configs/{id}`
 *   of a config named as a sync target's (`eectl-ingress-<cfg|crt|certs>-…`: an older install made the
 *   first ones without the label);
 * - `POST /configs/create`: a config named `eectl-ingress-<kind>-<sha256 of its data>` with exactly the
 *   ingress label, and nothing else in the body;
 * - `DELETE /configs/{id}`: of a config with that name and label only;
 * - `POST /services/{id}/update?version=N` of eectl-ingress-sync only, with a spec equal to the one in
 *   force (the same keys, spelled the same) except the configs at the sync targets (configs named for
 *   the target's kind) and the secrets (each a TLS secret that a route in force names, mounted under its
 *   own name). So a watcher gone wrong can change the proxies' routes, and nothing else: not the sync
 *   task's image, command, mounts or network, not another service, not a secret no route names.
 */

/** Why the watcher's request is refused; undefined when the rule admits it. */
export async function watcherRefusal(
  routed: RoutedRequest,
  method: string,
  body: Buffer | undefined,
  lookup: Lookup,
): Promise<string | undefined> {
  const { op, path, query } = routed;
  const noQuery = query.size === 0 ? undefined : `no query is admitted on ${path}`;
  if (method === 'GET' && op.type === 'public' && path === '/info') return noQuery;
  if (method === 'GET' && op.type === 'existing' && op.kind === 'node' && op.action === 'view')
    return noQuery;
  if (method === 'GET' && op.type === 'list' && (op.kind === 'service' || op.kind === 'secret'))
    return noQuery;
  if (method === 'GET' && op.type === 'list' && op.kind === 'config') {
    const filters = query.get('filters');
    return query.size === 1 && filters?.length === 1 && filters[0] === INGRESS_CONFIG_FILTER
      ? undefined
      : `configs are listed only with the filter ${INGRESS_CONFIG_FILTER}`;
  }
  if (method === 'GET' && op.type === 'existing' && op.kind === 'config' && op.action === 'view') {
    // One of the configs the sync targets take, by its name: made by the watcher, or by install.
    if (noQuery) return noQuery;
    const config = await lookup.inspect('config', op.id);
    if (config === undefined) return undefined; // the engine answers 404
    return syncKindOf(nameOf(config)) ? undefined : `config ${op.id} is not one of the ingress's`;
  }
  if (method === 'POST' && op.type === 'create' && op.kind === 'config') {
    return noQuery ?? configCreateRefusal(body);
  }
  if (method === 'DELETE' && op.type === 'existing' && op.kind === 'config' && op.action === 'delete') {
    if (noQuery) return noQuery;
    const config = await lookup.inspect('config', op.id);
    if (config === undefined) return undefined; // the engine answers 404
    return isIngressConfig(config) ? undefined : `config ${op.id} is not one of the ingress's`;
  }
  if (method === 'POST' && op.type === 'update' && op.kind === 'service') {
    const version = query.get('version');
    if (query.size !== 1 || version?.length !== 1 || !/^\d{1,19}$/.test(version[0]!))
      return `a service update must carry exactly ?version=N, and nothing else`;
    return syncUpdateRefusal(op.id, body, lookup);
  }
  return `not among the watcher's requests (read services, roll ${SYNC_SERVICE})`;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** An object with exactly these keys, spelled so (the engine's own spelling). */
function exactKeys(v: unknown, keys: readonly string[]): v is Record<string, unknown> {
  if (!isPlain(v)) return false;
  const have = Object.keys(v).sort();
  const want = [...keys].sort();
  return have.length === want.length && have.every((k, i) => k === want[i]);
}

/** Equal JSON values: the same keys (exact), the same array order. */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (isPlain(a) || isPlain(b)) {
    if (!isPlain(a) || !isPlain(b)) return false;
    const keys = Object.keys(a);
    return exactKeys(b, keys) && keys.every((k) => same(a[k], b[k]));
  }
  return a === b;
}

const labelsOf = (v: unknown): unknown => (isPlain(v) && isPlain(v.Spec) ? v.Spec.Labels : undefined);
const nameOf = (v: unknown): unknown => (isPlain(v) && isPlain(v.Spec) ? v.Spec.Name : undefined);

/** The kind of a sync target's config (cfg, crt, certs) by its name; undefined for any other name. */
function syncKindOf(name: unknown): string | undefined {
  const m = typeof name === 'string' ? INGRESS_OBJECT_NAME.exec(name) : null;
  return m && Object.values(SYNC_KINDS).includes(m[1]!) ? m[1] : undefined;
}

function isIngressConfig(config: unknown): boolean {
  const name = nameOf(config);
  return (
    typeof name === 'string' &&
    INGRESS_OBJECT_NAME.test(name) &&
    same(labelsOf(config), { 'eectl.ingress': 'config' })
  );
}

/** Standard base64 as Go's decoder takes it for []byte, in its one canonical spelling. */
function base64Bytes(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}

function configCreateRefusal(raw: Buffer | undefined): string | undefined {
  if (!raw) return 'a config create needs its body';
  const spec = parseBody(raw.toString('utf8'));
  if (!exactKeys(spec, ['Name', 'Labels', 'Data']))
    return 'a config create must have exactly Name, Labels and Data';
  const m = typeof spec.Name === 'string' ? INGRESS_OBJECT_NAME.exec(spec.Name) : null;
  if (!m || !Object.values(SYNC_KINDS).includes(m[1]!))
    return `the config's name must be ${INGRESS_OBJECT_PREFIX}<kind>-<sha256[:12] of its data>`;
  if (!same(spec.Labels, { 'eectl.ingress': 'config' }))
    return 'the config must have exactly the label eectl.ingress=config';
  const data = base64Bytes(spec.Data);
  if (!data) return "the config's data must be standard base64";
  const sum = createHash('sha256').update(data).digest('hex').slice(0, 12);
  return sum === m[2] ? undefined : `the config's name does not match its data (sha256 ${sum})`;
}

/**
 * The TLS secrets the routes in force name, as the watcher computes them: the routing table over every
 * service but the ingress's own, with each named secret looked up (until no new name is asked).
 */
async function tlsSecretsInForce(lookup: Lookup): Promise<Map<string, string>> {
  if (!lookup.services) throw new Error('the service list cannot be read');
  const services = ((await lookup.services()) as ServiceForRouting[]).filter(
    (s) => s?.Spec?.Name !== PROXY_SERVICE && s?.Spec?.Name !== SYNC_SERVICE,
  );
  const ids = new Map<string, string | undefined>();
  for (let round = 0; round < 100; round++) {
    const asked = new Set<string>();
    const table = routingTable(services, (name) => {
      if (!ids.has(name)) asked.add(name);
      return ids.get(name) !== undefined;
    });
    if (asked.size === 0) {
      const inForce = new Map<string, string>();
      for (const r of table.routes)
        for (const name of r.tls ? [r.tls.cert, r.tls.key] : []) inForce.set(name, ids.get(name)!);
      return inForce;
    }
    for (const name of asked) {
      const secret = await lookup.inspect('secret', name);
      const id = isPlain(secret) && nameOf(secret) === name ? secret.ID : undefined;
      ids.set(name, typeof id === 'string' ? id : undefined);
    }
  }
  throw new Error('the routes name too many secrets to look up');
}

const fileOf = (name: string, mode: number) => ({ Name: name, UID: '0', GID: '0', Mode: mode });

async function syncUpdateRefusal(
  id: string,
  raw: Buffer | undefined,
  lookup: Lookup,
): Promise<string | undefined> {
  const current = await lookup.inspect('service', id);
  if (current === undefined) return undefined; // the engine answers 404
  if (!isPlain(current) || nameOf(current) !== SYNC_SERVICE)
    return `the watcher updates ${SYNC_SERVICE} only`;
  if (!raw) return 'a service update needs its body';
  const spec = parseBody(raw.toString('utf8'));
  const inForce = current.Spec as Record<string, unknown>;
  const containerOf = (s: unknown): Record<string, unknown> | undefined => {
    const template = isPlain(s) ? s.TaskTemplate : undefined;
    const container = isPlain(template) ? template.ContainerSpec : undefined;
    return isPlain(container) ? container : undefined;
  };
  const wanted = containerOf(spec);
  const had = containerOf(inForce);
  if (!wanted || !had) return 'the spec must have TaskTemplate.ContainerSpec, spelled so';
  // Everything but the configs and secrets stays as it is.
  const without = (s: Record<string, unknown>, c: Record<string, unknown>) => {
    const { Configs: _c, Secrets: _s, ...rest } = c;
    return { ...s, TaskTemplate: { ...(s.TaskTemplate as Record<string, unknown>), ContainerSpec: rest } };
  };
  if (!isPlain(spec) || !same(without(spec, wanted), without(inForce, had)))
    return `only the configs and secrets of ${SYNC_SERVICE} may change`;

  // Configs: the same targets; the sync targets' from ingress configs of their kind, the others unchanged.
  const configs = wanted.Configs;
  const before = Array.isArray(had.Configs) ? had.Configs : [];
  if (!Array.isArray(configs)) return 'the spec must keep its Configs';
  const targetOf = (ref: unknown) => (isPlain(ref) && isPlain(ref.File) ? ref.File.Name : undefined);
  const targets = configs.map(targetOf);
  const targetsBefore = before.map(targetOf);
  if (new Set(targets).size !== targets.length || !same([...targets].sort(), [...targetsBefore].sort()))
    return 'the configs must be mounted at the same targets as before';
  for (const ref of configs as Record<string, unknown>[]) {
    const target = targetOf(ref) as string;
    const kind = (Object.keys(SYNC_TARGETS) as (keyof typeof SYNC_TARGETS)[]).find(
      (k) => SYNC_TARGETS[k] === target,
    );
    if (!kind) {
      if (!before.some((b) => same(b, ref))) return `the config at ${target} may not change`;
      continue;
    }
    if (!exactKeys(ref, ['File', 'ConfigID', 'ConfigName']) || !same(ref.File, fileOf(target, 0o444)))
      return `the config at ${target} must be { File: ${JSON.stringify(fileOf(target, 0o444))}, ConfigID, ConfigName }`;
    const m = typeof ref.ConfigName === 'string' ? INGRESS_OBJECT_NAME.exec(ref.ConfigName) : null;
    if (!m || m[1] !== SYNC_KINDS[kind])
      return `the config at ${target} must be an ingress ${SYNC_KINDS[kind]} config`;
    // By name, not label: install made the first ones, and an older install made them without it.
    const config =
      typeof ref.ConfigID === 'string' ? await lookup.inspect('config', ref.ConfigID) : undefined;
    if (!isPlain(config) || config.ID !== ref.ConfigID || nameOf(config) !== ref.ConfigName)
      return `config ${String(ref.ConfigID)} is not the ingress config ${String(ref.ConfigName)}`;
  }

  // Secrets: only the TLS secrets of the routes in force, each under its own name, root-only.
  const secrets = wanted.Secrets === undefined ? [] : wanted.Secrets;
  if (!Array.isArray(secrets)) return 'Secrets must be a list';
  const allowed = secrets.length > 0 ? await tlsSecretsInForce(lookup) : new Map<string, string>();
  const seen = new Set<string>();
  for (const ref of secrets) {
    if (!exactKeys(ref, ['File', 'SecretID', 'SecretName']) || typeof ref.SecretName !== 'string')
      return 'each secret must be { File, SecretID, SecretName }';
    const name = ref.SecretName;
    if (seen.has(name)) return `secret ${name} is named twice`;
    seen.add(name);
    if (!allowed.has(name)) return `secret ${name} is not the TLS secret of a route in force`;
    if (!same(ref.File, fileOf(name, 0o400)) || ref.SecretID !== allowed.get(name))
      return `secret ${name} must be mounted as ${JSON.stringify(fileOf(name, 0o400))} by its ID`;
  }
  return undefined;
}
