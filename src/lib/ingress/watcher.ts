import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { pathToFileURL } from 'node:url';
import { certManifest, crtList, haproxyConfig } from './haproxy-config.js';
import {
  INGRESS_CONFIG_FILTER,
  INGRESS_CONFIG_LABEL,
  INGRESS_OBJECT_PREFIX,
  ingressObjectName,
  PROXY_SERVICE,
  SYNC_KINDS,
  SYNC_SERVICE,
  SYNC_TARGETS,
  WATCHER_CA,
  WATCHER_CERT,
  WATCHER_ENDPOINT,
  WATCHER_KEY,
} from './names.js';
import { routingTable, type RoutingTable, type ServiceForRouting } from './routes.js';

/**
 * The ingress watcher, on every manager under systemd (next to the authorization plugin), as its own
 * unprivileged user. It calls this manager's engine API over mutual TLS with its own client certificate
 * (CN eectl-ingress-watcher), so every request passes the authorization plugin, whose rule for that name
 * (access/watcher-rule.ts) admits only what follows. Every POLL_MS it reads the services and secrets'
 * names; on the leader only (so two managers never race), when the routing table's configuration
 * differs from the one the sync service carries, it creates the new configs and updates the sync
 * service, whose new tasks write them for the proxies. Any failure leaves the sync service as it was:
 * the last good configuration stays in force. Its stdout is the audit log (one JSON line per route
 * added, removed or refused).
 */

const POLL_MS = 1000;

interface Answer {
  status: number;
  body: string;
}

/** Where and how the watcher calls the engine API: from the files install writes, read at start. */
export interface EngineEndpoint {
  host: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
}

export function readEndpoint(): EngineEndpoint {
  const { host, port } = JSON.parse(readFileSync(WATCHER_ENDPOINT, 'utf8')) as { host: string; port: number };
  return {
    host,
    port,
    ca: readFileSync(WATCHER_CA, 'utf8'),
    cert: readFileSync(WATCHER_CERT, 'utf8'),
    key: readFileSync(WATCHER_KEY, 'utf8'),
  };
}

let endpoint: EngineEndpoint | undefined;

/** One call to the engine API over mutual TLS. */
export function engineCall(method: string, path: string, body?: unknown, to = endpoint): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (!to) return reject(new Error('no engine endpoint'));
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: to.host,
        port: to.port,
        ca: to.ca,
        cert: to.cert,
        key: to.key,
        method,
        path,
        timeout: 10_000,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const answer = await engineCall(method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.body.trim()}`);
  return (answer.body ? JSON.parse(answer.body) : undefined) as T;
}

interface FileRef {
  File: { Name: string; UID: string; GID: string; Mode: number };
}
type ConfigRef = FileRef & { ConfigID: string; ConfigName: string };
type SecretRef = FileRef & { SecretID: string; SecretName: string };
interface SyncService {
  ID: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    TaskTemplate: {
      ContainerSpec: { Configs?: ConfigRef[]; Secrets?: SecretRef[] } & Record<string, unknown>;
    } & Record<string, unknown>;
  } & Record<string, unknown>;
}

const audit = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
};

/** What the watcher remembers between polls: the table last applied, for the audit log's differences. */
interface WatcherState {
  applied?: string;
  table?: RoutingTable;
}

/** True when this manager is the swarm's leader. */
async function isLeader(): Promise<boolean> {
  const info = await json<{ Swarm?: { NodeID?: string; ControlAvailable?: boolean } }>('GET', '/info');
  if (!info.Swarm?.ControlAvailable || !info.Swarm.NodeID) return false;
  const node = await json<{ ManagerStatus?: { Leader?: boolean } }>('GET', `/nodes/${info.Swarm.NodeID}`);
  return node.ManagerStatus?.Leader === true;
}

/** The audit lines for what changed between two tables. */
function differences(before: RoutingTable | undefined, after: RoutingTable): void {
  const key = (r: { service: string; hosts: string[] }) => `${r.service} ${r.hosts.join(',')}`;
  const had = new Set((before?.routes ?? []).map(key));
  const has = new Set(after.routes.map(key));
  for (const r of after.routes)
    if (!had.has(key(r)))
      audit({
        event: 'route-added',
        service: r.service,
        hosts: r.hosts,
        path: r.path,
        collection: r.collection,
      });
  for (const r of before?.routes ?? [])
    if (!has.has(key(r))) audit({ event: 'route-removed', service: r.service, hosts: r.hosts, path: r.path });
  const refusedBefore = new Set((before?.refused ?? []).map((r) => `${r.service} ${r.reason}`));
  for (const r of after.refused) {
    if (!refusedBefore.has(`${r.service} ${r.reason}`))
      audit({ event: 'route-refused', service: r.service, hosts: r.hosts, reason: r.reason });
  }
}

/** One poll: read, decide, and (leader only, when it differs) roll the sync service to the new configuration. */
export async function poll(state: WatcherState): Promise<void> {
  if (!(await isLeader())) {
    state.applied = undefined;
    return;
  }
  const services = await json<(ServiceForRouting & { Spec: { Name: string } })[]>('GET', '/services');
  const secrets = await json<{ ID: string; Spec: { Name: string } }[]>('GET', '/secrets');
  const secretIds = new Map(secrets.map((s) => [s.Spec.Name, s.ID]));
  const own = new Set([PROXY_SERVICE, SYNC_SERVICE]);
  const table = routingTable(
    services.filter((s) => !own.has(s.Spec.Name)),
    (name) => secretIds.has(name),
  );
  const files = {
    config: haproxyConfig(table.routes),
    crtList: crtList(table.routes),
    certs: certManifest(table.routes),
  };
  const names = {
    config: ingressObjectName(SYNC_KINDS.config, files.config),
    crtList: ingressObjectName(SYNC_KINDS.crtList, files.crtList),
    certs: ingressObjectName(SYNC_KINDS.certs, files.certs),
  };
  const sync = services.find((s) => s.Spec.Name === SYNC_SERVICE) as SyncService | undefined;
  if (!sync) {
    if (state.applied !== 'no-sync')
      audit({ event: 'waiting', reason: `no service ${SYNC_SERVICE}: run eectl install` });
    state.applied = 'no-sync';
    return;
  }
  const container = sync.Spec.TaskTemplate.ContainerSpec;
  const current = new Map((container.Configs ?? []).map((c) => [c.File.Name, c.ConfigName]));
  const wanted = Object.keys(names) as (keyof typeof names)[];
  if (wanted.every((k) => current.get(SYNC_TARGETS[k]) === names[k])) {
    if (state.table === undefined)
      state.table = table; // the table in force when the watcher starts
    else if (JSON.stringify(state.table) !== JSON.stringify(table)) {
      differences(state.table, table); // e.g. a refusal that changes nothing in the configuration
      state.table = table;
    }
    return;
  }
  const existing = await ingressConfigs();
  const configIds = new Map<string, string>();
  for (const k of wanted) {
    const data = Buffer.from(files[k]).toString('base64');
    const found = existing.find((c) => c.Spec.Name === names[k]);
    // A config of that name that holds anything else was not made here: never hand it to the proxies.
    if (found && found.Spec.Data !== data)
      throw new Error(`config ${names[k]} exists with other content: remove it (docker config rm)`);
    if (found) {
      configIds.set(names[k], found.ID);
      continue;
    }
    configIds.set(names[k], await createConfig(names[k], data));
  }
  const file = (name: string, mode: number) => ({ Name: name, UID: '0', GID: '0', Mode: mode });
  const keep = (container.Configs ?? []).filter((c) => !wanted.some((k) => SYNC_TARGETS[k] === c.File.Name));
  container.Configs = [
    ...keep,
    ...wanted.map((k) => ({
      File: file(SYNC_TARGETS[k], 0o444),
      ConfigID: configIds.get(names[k])!,
      ConfigName: names[k],
    })),
  ];
  const tlsSecrets = [...new Set(table.routes.flatMap((r) => (r.tls ? [r.tls.cert, r.tls.key] : [])))];
  container.Secrets = tlsSecrets.map((name) => ({
    File: file(name, 0o400),
    SecretID: secretIds.get(name)!,
    SecretName: name,
  }));
  await json('POST', `/services/${sync.ID}/update?version=${sync.Version.Index}`, sync.Spec);
  differences(state.table, table);
  audit({
    event: 'configuration',
    config: names.config,
    routes: table.routes.length,
    refused: table.refused.length,
  });
  state.table = table;
  await prune(new Set(Object.values(names)), [...current.values()]);
}

/**
 * Creates an ingress config; its ID. One of that name without the ingress label (install made the first
 * ones so before it labelled them) is used when it holds exactly this content.
 */
async function createConfig(name: string, data: string): Promise<string> {
  const made = await engineCall('POST', '/configs/create', {
    Name: name,
    Labels: INGRESS_CONFIG_LABEL,
    Data: data,
  });
  if (made.status < 300) return (JSON.parse(made.body) as { ID: string }).ID;
  if (made.status !== 409) throw new Error(`POST /configs/create: ${made.status} ${made.body.trim()}`);
  const found = await json<IngressConfig>('GET', `/configs/${encodeURIComponent(name)}`);
  if (found.Spec.Name !== name || found.Spec.Data !== data)
    throw new Error(`config ${name} exists with other content: remove it (docker config rm)`);
  return found.ID;
}

interface IngressConfig {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string>; Data?: string };
}

/** The configs with the ingress label: the one list of configs the plugin lets the watcher read. */
const ingressConfigs = () =>
  json<IngressConfig[]>('GET', `/configs?filters=${encodeURIComponent(INGRESS_CONFIG_FILTER)}`);

/** Removes ingress configs no service uses any more (the engine refuses those still in use: left for later). */
async function prune(inUse: Set<string>, previous: string[]): Promise<void> {
  for (const c of await ingressConfigs()) {
    if (
      c.Spec.Labels?.['eectl.ingress'] !== 'config' ||
      inUse.has(c.Spec.Name) ||
      previous.includes(c.Spec.Name)
    )
      continue;
    if (!c.Spec.Name.startsWith(INGRESS_OBJECT_PREFIX)) continue;
    await engineCall('DELETE', `/configs/${c.ID}`).catch(() => undefined);
  }
}

/** Polls until stopped; a failed poll is logged and changes nothing. */
export async function main(): Promise<void> {
  const state: WatcherState = {};
  endpoint = readEndpoint();
  audit({ event: 'started', pid: process.pid, api: `${endpoint.host}:${endpoint.port}` });
  let lastError = '';
  for (;;) {
    try {
      await poll(state);
      lastError = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastError)
        audit({ event: 'error', message, note: 'the last good configuration stays in force' });
      lastError = message;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
