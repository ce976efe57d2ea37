import { PROXY_SERVICE, SYNC_SERVICE } from '../ingress/names.js';
import { routingTable, type ServiceForRouting } from '../ingress/routes.js';
import type { ClusterConfig, Role } from '../config/schema.js';
import { matchingVersions, upstreamVersion } from '../host/version.js';
import { daysLeft, isDue } from '../pki/inspect.js';
import { REGISTRY_SERVICE } from '../registry/names.js';
import { parseNodeInspect, type SwarmNode } from '../swarm/nodes.js';
import { describeQuorum, faultTolerance, hasQuorum, quorumSize } from '../swarm/quorum.js';
import type { ManagerProbe } from '../engine-api/client.js';

/**
 * The cluster as the dashboard (and `eectl status --services`) shows it, built from the engine API's
 * answers alone: pure, so every state the page can be in is unit-tested from fixtures.
 */

/** What the collector read from the API in one round (undefined: that call failed, `errors` says why). */
export interface ApiAnswers {
  nodes: unknown[] | undefined;
  services: unknown[] | undefined;
  tasks: unknown[] | undefined;
  events: unknown[] | undefined;
  /** One per manager of the file, in file order. */
  probes: ManagerProbe[];
  registry: RegistryProbe[];
  /** The bundle's CA certificate notAfter (ISO 8601). */
  caNotAfter: string | undefined;
  /** The manager that answered the reads. */
  answeredBy: string | undefined;
  /** Why a read failed: its name → the message (denied reads say "denied: …"). */
  errors: Record<string, string>;
}

/** One registry replica asked for `/v2/` over TLS with the cluster CA. */
export interface RegistryProbe {
  host: string;
  url: string;
  healthy: boolean;
  detail: string;
}

export interface Expiry {
  notAfter: string;
  daysLeft: number;
  due: boolean;
}

export interface ManagerView {
  hostname: string;
  address: string;
  endpoint: string;
  leader: boolean;
  /** What Raft says of it (the node list); undefined when the node list could not be read. */
  raft: string | undefined;
  /** Whether its engine API answered our ping just now. */
  apiAnswers: boolean;
  apiError: string | undefined;
  /** reachable unless the API or Raft says otherwise. */
  reachable: boolean;
  certificate: Expiry | undefined;
}

export interface NodeView {
  id: string;
  hostname: string;
  address: string;
  role: 'manager' | 'worker';
  fileRole: Role | undefined;
  state: string;
  availability: string;
  engineVersion: string;
  leader: boolean;
  reachability: string | undefined;
  labels: Record<string, string>;
  /** Tasks the orchestrator wants running there, and how many run. */
  tasksWanted: number;
  tasksRunning: number;
}

export interface PortView {
  published: number | undefined;
  target: number;
  protocol: string;
  mode: string;
}

export interface ServiceView {
  id: string;
  name: string;
  /** replicated | global | replicated-job | global-job */
  mode: string;
  desired: number | undefined;
  running: number;
  image: string;
  digest: string | undefined;
  /** updating | completed | paused | rollback_started | … or undefined when never updated. */
  updateState: string | undefined;
  updateMessage: string | undefined;
  ports: PortView[];
  collection: string | undefined;
  stack: string | undefined;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface TaskView {
  id: string;
  serviceId: string;
  serviceName: string;
  slot: number | undefined;
  nodeId: string;
  nodeHostname: string;
  desiredState: string;
  state: string;
  message: string;
  error: string | undefined;
  image: string;
  updatedAt: string;
}

export interface EventView {
  time: string;
  type: string;
  action: string;
  name: string;
  id: string;
  detail: string;
}

/** One HTTP route of the ingress (spec.ingress), as `eectl ingress ls` shows it. */
export interface RouteView {
  host: string;
  path: string;
  service: string;
  collection: string;
  tls: 'no' | 'yes' | 'yes, redirects http';
  backends: { running: number; desired: number | undefined };
  source: 'eectl' | 'interlock';
  notes: string[];
}

/** A service that asked for a route and did not get it (a host another team claimed, a label refused). */
export interface RefusedRouteView {
  service: string;
  hosts: string[];
  reason: string;
}

export type DashboardHealth = 'healthy' | 'degraded' | 'quorum-lost' | 'unreachable';

/** Everything one page render needs; sent whole to each page on every change. */
export interface Snapshot {
  cluster: string;
  generatedAt: string;
  health: DashboardHealth;
  api: { ok: boolean; answeredBy: string | undefined; error: string | undefined };
  quorum: {
    managers: number;
    reachable: number;
    hasQuorum: boolean;
    faultTolerance: number;
    /** The quorum in a sentence an operator reads at a glance. */
    sentence: string;
    /** The same words as `eectl status` prints. */
    description: string;
  };
  managers: ManagerView[];
  nodes: NodeView[];
  ca: Expiry | undefined;
  registry: { replicas: (RegistryProbe & { task: string | undefined })[]; note: string };
  drift: { missingFromSwarm: string[]; notInFile: string[]; engineVersions: string[] };
  services: ServiceView[];
  /** The ingress's routes from the services' labels, computed as the managers' watcher computes them. */
  routes: { routes: RouteView[]; refused: RefusedRouteView[] };
  tasks: TaskView[];
  events: EventView[];
  problems: string[];
  warnings: string[];
}

/** Builds the snapshot from one round of API answers and the cluster file. */
export function buildSnapshot(config: ClusterConfig, answers: ApiAnswers, now = new Date()): Snapshot {
  const problems: string[] = [];
  const warnings: string[] = [];
  const nodes = answers.nodes ? parseNodeInspect(JSON.stringify(answers.nodes)) : undefined;
  const tasks = (answers.tasks ?? []).map((t) => taskView(t as RawTask, nodes ?? [], answers.services ?? []));
  const services = (answers.services ?? []).map((s) => serviceView(s as RawService, tasks));
  const managers = managerViews(config, answers.probes, nodes, now);
  const apiOk = answers.probes.some((p) => p.reachable) && answers.nodes !== undefined;

  for (const m of managers) {
    if (!m.apiAnswers)
      problems.push(`manager ${m.hostname || m.address}: engine API unreachable (${m.apiError})`);
    else if (m.raft && m.raft !== 'reachable') problems.push(`manager ${m.hostname}: Raft says ${m.raft}`);
    if (m.certificate?.due)
      warnings.push(`${m.address}: API certificate expires in ${m.certificate.daysLeft} days`);
  }
  if (answers.errors.nodes) problems.push(`node list: ${answers.errors.nodes}`);

  const quorum = quorumView(config, managers, nodes);
  const nodeViews = (nodes ?? [])
    .map((n) => nodeView(n, config, tasks))
    .sort((a, b) => a.role.localeCompare(b.role) || a.hostname.localeCompare(b.hostname));
  for (const n of nodeViews) {
    if (n.state !== 'ready') problems.push(`node ${n.hostname} (${n.address}) is ${n.state}`);
    if (n.availability !== 'active') warnings.push(`node ${n.hostname} is ${n.availability}`);
  }
  const drift = driftOf(config, nodes, nodeViews);
  for (const h of drift.missingFromSwarm) warnings.push(`${h} is in the file but not in the swarm`);
  for (const n of drift.notInFile) warnings.push(`node ${n} is in the swarm but not in the file`);
  warnings.push(...drift.engineVersions);

  for (const s of services) {
    if (s.desired !== undefined && s.running < s.desired && !s.mode.endsWith('job'))
      warnings.push(`service ${s.name}: ${s.running}/${s.desired} running`);
    if (s.updateState === 'paused' || s.updateState === 'rollback_paused')
      problems.push(`service ${s.name}: update ${s.updateState}: ${s.updateMessage ?? ''}`);
  }
  const registry = registryView(config, answers.registry, tasks);
  for (const r of registry.replicas.filter((x) => !x.healthy))
    problems.push(`registry replica ${r.url}: ${r.detail}`);

  const ca = answers.caNotAfter ? expiry(answers.caNotAfter, now) : undefined;
  if (ca?.due) warnings.push(`the cluster CA expires in ${ca.daysLeft} days`);

  const health: DashboardHealth = !answers.probes.some((p) => p.reachable)
    ? 'unreachable'
    : !quorum.hasQuorum
      ? 'quorum-lost'
      : problems.length > 0
        ? 'degraded'
        : 'healthy';
  return {
    cluster: config.metadata.name,
    generatedAt: now.toISOString(),
    health,
    api: {
      ok: apiOk,
      answeredBy: answers.answeredBy,
      error: apiOk ? undefined : (answers.errors.nodes ?? 'no manager answers'),
    },
    quorum,
    managers,
    nodes: nodeViews,
    ca,
    registry,
    drift,
    services: services.sort((a, b) => a.name.localeCompare(b.name)),
    routes: routeViews(answers.services ?? [], services, problems),
    tasks,
    events: (answers.events ?? []).map((e) => eventView(e as RawEvent)).reverse(),
    problems,
    warnings,
  };
}

/** "In quorum: 3 of 3 managers reachable; 1 more can fail …", or why the swarm cannot be managed. */
export function quorumSentence(managers: number, reachable: number, leader: boolean): string {
  if (managers === 0) return 'No manager is known: the swarm cannot be read.';
  const need = quorumSize(managers);
  const of = `${reachable} of ${managers} manager${managers === 1 ? '' : 's'} reachable`;
  if (reachable < need) {
    return `QUORUM LOST: ${of}, ${need} needed. The swarm cannot be managed until ${need - reachable === 1 ? 'a manager comes' : `${need - reachable} managers come`} back.`;
  }
  if (!leader)
    return `NO LEADER: ${of}, but no leader is elected yet: the swarm cannot be managed right now.`;
  const spare = reachable - need;
  const margin =
    spare === 0
      ? 'no further manager can fail without losing the quorum.'
      : `${spare} more can fail before the swarm stops being managed.`;
  return `In quorum: ${of}; ${margin}`;
}

function quorumView(
  config: ClusterConfig,
  managers: readonly ManagerView[],
  nodes: SwarmNode[] | undefined,
): Snapshot['quorum'] {
  const fileManagers = config.spec.hosts.filter((h) => h.role === 'manager').length;
  const swarmManagers = nodes?.filter((n) => n.role === 'manager');
  const count = swarmManagers ? swarmManagers.length : fileManagers;
  // A manager counts as reachable when Raft says so and, for those we can ping, when its API answers too.
  const reachable = swarmManagers
    ? swarmManagers.filter((n) => {
        const m = managers.find((x) => x.hostname === n.hostname && x.address === n.addr);
        return n.reachability === 'reachable' && (m === undefined || m.apiAnswers);
      }).length
    : managers.filter((m) => m.apiAnswers).length;
  const leader = swarmManagers?.some((n) => n.leader) ?? false;
  const counts = { managers: count, reachable };
  return {
    managers: count,
    reachable,
    hasQuorum: leader && hasQuorum(counts),
    faultTolerance: faultTolerance(count),
    sentence: quorumSentence(count, reachable, leader || !swarmManagers ? leader : false),
    description: describeQuorum(counts) + (leader || !hasQuorum(counts) ? '' : ', NO LEADER'),
  };
}

function managerViews(
  config: ClusterConfig,
  probes: readonly ManagerProbe[],
  nodes: SwarmNode[] | undefined,
  now: Date,
): ManagerView[] {
  const specs = config.spec.hosts.filter((h) => h.role === 'manager');
  return specs.map((spec, i) => {
    const probe = probes[i];
    const addresses = [spec.address, spec.privateAddress].filter(Boolean);
    const node = nodes?.find((n) => n.role === 'manager' && addresses.includes(n.addr));
    const apiAnswers = probe?.reachable ?? false;
    return {
      hostname: node?.hostname ?? '',
      address: node?.addr ?? spec.address,
      endpoint: probe?.endpoint ?? `${spec.address}:${config.spec.controlPlane.apiPort}`,
      leader: node?.leader ?? false,
      raft: node?.reachability,
      apiAnswers,
      apiError: probe?.error,
      reachable: apiAnswers && (node === undefined || node.reachability === 'reachable'),
      certificate: probe?.certificateNotAfter ? expiry(probe.certificateNotAfter, now) : undefined,
    };
  });
}

function nodeView(n: SwarmNode, config: ClusterConfig, tasks: readonly TaskView[]): NodeView {
  const spec = config.spec.hosts.find((h) => h.address === n.addr || h.privateAddress === n.addr);
  const here = tasks.filter((t) => t.nodeId === n.id && t.desiredState === 'running');
  return {
    id: n.id,
    hostname: n.hostname,
    address: n.addr,
    role: n.role,
    fileRole: spec?.role,
    state: n.state,
    availability: n.availability,
    engineVersion: n.engineVersion,
    leader: n.leader,
    reachability: n.reachability,
    labels: n.labels,
    tasksWanted: here.length,
    tasksRunning: here.filter((t) => t.state === 'running').length,
  };
}

function driftOf(
  config: ClusterConfig,
  nodes: SwarmNode[] | undefined,
  views: readonly NodeView[],
): Snapshot['drift'] {
  if (!nodes) return { missingFromSwarm: [], notInFile: [], engineVersions: [] };
  const missingFromSwarm = config.spec.hosts
    .filter((h) => !nodes.some((n) => n.addr === h.address || n.addr === h.privateAddress))
    .map((h) => h.address);
  const notInFile = views.filter((v) => v.fileRole === undefined).map((v) => `${v.hostname} (${v.address})`);
  const wanted = config.spec.engine.version;
  const engineVersions: string[] = [];
  const running = views.filter((v) => v.engineVersion !== '');
  if (wanted) {
    for (const v of running) {
      const fits =
        matchingVersions(wanted, [v.engineVersion]).length > 0 ||
        upstreamVersion(v.engineVersion) === upstreamVersion(wanted);
      if (!fits) engineVersions.push(`${v.hostname} runs engine ${v.engineVersion}, the file says ${wanted}`);
    }
  } else {
    const tally = new Map<string, number>();
    for (const v of running) tally.set(v.engineVersion, (tally.get(v.engineVersion) ?? 0) + 1);
    const common = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    for (const v of running.filter((x) => x.engineVersion !== common))
      engineVersions.push(`${v.hostname} runs engine ${v.engineVersion}, the others ${common}`);
  }
  return { missingFromSwarm, notInFile, engineVersions };
}

function registryView(
  config: ClusterConfig,
  probes: readonly RegistryProbe[],
  tasks: readonly TaskView[],
): Snapshot['registry'] {
  const hosts = config.spec.hosts.filter((h) => h.role === 'registry');
  if (hosts.length === 0) return { replicas: [], note: 'no registry host in the file' };
  const registryTasks = tasks.filter(
    (t) => t.serviceName === REGISTRY_SERVICE && t.desiredState === 'running',
  );
  const replicas = probes.map((p) => ({
    ...p,
    task: registryTasks.find((t) => t.nodeHostname !== '' && p.host.includes(t.nodeHostname))?.state,
  }));
  const healthy = replicas.filter((r) => r.healthy).length;
  return { replicas, note: `${healthy}/${replicas.length} replicas answer /v2/` };
}

interface RawService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string> | null;
    TaskTemplate?: { ContainerSpec?: { Image?: string } };
    Mode?: {
      Replicated?: { Replicas?: number };
      Global?: object;
      ReplicatedJob?: { TotalCompletions?: number };
      GlobalJob?: object;
    };
  };
  Endpoint?: {
    Ports?: { PublishedPort?: number; TargetPort?: number; Protocol?: string; PublishMode?: string }[];
  };
  UpdateStatus?: { State?: string; Message?: string };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
}

interface RawTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  UpdatedAt?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { State?: string; Message?: string; Err?: string; Timestamp?: string };
}

interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** `image:tag@sha256:…` → the reference without the digest, and the digest. */
export function splitImage(ref: string): { image: string; digest: string | undefined } {
  const at = ref.indexOf('@');
  return at < 0 ? { image: ref, digest: undefined } : { image: ref.slice(0, at), digest: ref.slice(at + 1) };
}

function serviceMode(s: RawService): string {
  const mode = s.Spec?.Mode ?? {};
  if (mode.Global) return 'global';
  if (mode.ReplicatedJob) return 'replicated-job';
  if (mode.GlobalJob) return 'global-job';
  return 'replicated';
}

function serviceView(s: RawService, tasks: readonly TaskView[]): ServiceView {
  const mode = serviceMode(s);
  const own = tasks.filter((t) => t.serviceId === s.ID && t.desiredState === 'running');
  const running = s.ServiceStatus?.RunningTasks ?? own.filter((t) => t.state === 'running').length;
  const desired =
    s.ServiceStatus?.DesiredTasks ?? (mode === 'replicated' ? s.Spec?.Mode?.Replicated?.Replicas : undefined);
  const labels = s.Spec?.Labels ?? {};
  const { image, digest } = splitImage(s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? '');
  return {
    id: s.ID,
    name: s.Spec?.Name ?? s.ID,
    mode,
    desired,
    running,
    image,
    digest,
    updateState: s.UpdateStatus?.State,
    updateMessage: s.UpdateStatus?.Message,
    ports: (s.Endpoint?.Ports ?? []).map((p) => ({
      published: p.PublishedPort,
      target: p.TargetPort ?? 0,
      protocol: p.Protocol ?? 'tcp',
      mode: p.PublishMode ?? 'ingress',
    })),
    collection: labels['eectl.collection'],
    stack: labels['com.docker.stack.namespace'],
    version: s.Version?.Index ?? 0,
    createdAt: s.CreatedAt ?? '',
    updatedAt: s.UpdatedAt ?? '',
  };
}

function taskView(t: RawTask, nodes: readonly SwarmNode[], services: readonly unknown[]): TaskView {
  const service = (services as RawService[]).find((s) => s.ID === t.ServiceID);
  const node = nodes.find((n) => n.id === t.NodeID);
  return {
    id: t.ID,
    serviceId: t.ServiceID ?? '',
    serviceName: service?.Spec?.Name ?? t.ServiceID ?? '',
    slot: t.Slot,
    nodeId: t.NodeID ?? '',
    nodeHostname: node?.hostname ?? '',
    desiredState: t.DesiredState ?? '',
    state: t.Status?.State ?? '',
    message: t.Status?.Message ?? '',
    error: t.Status?.Err || undefined,
    image: splitImage(t.Spec?.ContainerSpec?.Image ?? '').image,
    updatedAt: t.Status?.Timestamp ?? t.UpdatedAt ?? '',
  };
}

function eventView(e: RawEvent): EventView {
  const attrs = e.Actor?.Attributes ?? {};
  const time = e.timeNano ? new Date(e.timeNano / 1e6) : new Date((e.time ?? 0) * 1000);
  const detail = Object.entries(attrs)
    .filter(([k]) => k !== 'name')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return {
    time: time.toISOString(),
    type: e.Type ?? '',
    action: e.Action ?? '',
    name: attrs.name ?? '',
    id: e.Actor?.ID ?? '',
    detail,
  };
}

function expiry(notAfter: string, now: Date): Expiry {
  const date = new Date(notAfter);
  return { notAfter: date.toISOString(), daysLeft: daysLeft(date, now), due: isDue(date, now) };
}

/**
 * The routes of the ingress from the services' labels, by the watcher's own rules (ingress/routes.ts): the
 * first claim of a host keeps it, labels outside the grammar are refused. The dashboard does not read
 * secrets, so a TLS route naming a missing secret shows here although the watcher refuses it.
 */
function routeViews(
  raw: readonly unknown[],
  services: readonly ServiceView[],
  problems: string[],
): { routes: RouteView[]; refused: RefusedRouteView[] } {
  const own = new Set([PROXY_SERVICE, SYNC_SERVICE]);
  const candidates = (raw as ServiceForRouting[]).filter(
    (s) => typeof s?.ID === 'string' && typeof s.Spec?.Name === 'string' && !own.has(s.Spec.Name),
  );
  try {
    const table = routingTable(candidates);
    const count = (name: string) => {
      const v = services.find((x) => x.name === name);
      return { running: v?.running ?? 0, desired: v?.desired };
    };
    const routes = table.routes
      .flatMap((r) =>
        r.hosts.map((host): RouteView => ({
          host,
          path: r.path,
          service: r.service,
          collection: r.collection,
          tls: r.tls ? (r.redirectHttps ? 'yes, redirects http' : 'yes') : 'no',
          backends: count(r.service),
          source: r.source,
          notes: r.notes,
        })),
      )
      .sort((a, b) => a.host.localeCompare(b.host) || a.path.localeCompare(b.path));
    const refused = table.refused.map((r) => ({ service: r.service, hosts: r.hosts, reason: r.reason }));
    return { routes, refused };
  } catch (error) {
    problems.push(`ingress routes: ${(error as Error).message}`);
    return { routes: [], refused: [] };
  }
}
