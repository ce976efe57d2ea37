/**
 * How evenly each replicated service's running tasks are spread over the nodes that could run them. The
 * swarm does not move tasks back onto a node that returns (drained and activated, restarted, restored;
 * moby#24103): `eectl rebalance` finds the services that stayed crowded and has the swarm replace their
 * tasks, which its scheduler then spreads again.
 */
import { nodeMeets, parseConstraints, type ConstraintNode } from './constraints.js';
import type { SwarmNode } from './nodes.js';
import type { SwarmTask } from './tasks.js';

/** How the swarm replaces a service's tasks (`--update-*`), as the rebalance plan shows it. */
export interface UpdateSettings {
  /** Tasks replaced at once; 0: all at once. */
  parallelism: number;
  delaySeconds: number;
  order: 'stop-first' | 'start-first';
  failureAction: string;
}

/** A service as `docker service inspect` describes what decides where its tasks may run. */
export interface PlacedService {
  id: string;
  name: string;
  /** replicated | global | replicated-job | global-job */
  mode: string;
  replicas: number;
  constraints: string[];
  /** Placement preferences (spread over a label's values): not judged. */
  preferences: number;
  /** `--replicas-max-per-node`; 0: no limit. */
  maxPerNode: number;
  /** Platforms of the image, when the CLI recorded them: a node must run one. */
  platforms: { os: string; arch: string }[];
  /** Ports published in host mode with a fixed port: at most one task per node can hold one. */
  hostPorts: { protocol: string; port: number }[];
  /** CPU, memory or generic resources reserved: which nodes have room is not judged. */
  reserves: boolean;
  /** Volume drivers other than local (and cluster volumes), which only some nodes may have. */
  volumePlugins: string[];
  logDriver: string | undefined;
  /** Bumped by each `service update --force`; every task carries the value it was made with. */
  forceUpdate: number;
  update: UpdateSettings;
  /** The last update's state (updating, paused, completed, rollback_…), when there was one. */
  updateStatus: { state: string; startedAt: string | undefined; message: string } | undefined;
}

/** A service's running tasks on one node. */
export interface NodeCount {
  node: string;
  tasks: number;
}

/**
 * One replicated service judged: `even`, `uneven` (the most loaded node that could run it has at least 2
 * tasks more than the least loaded), `not-judged` (something eectl cannot evaluate; `reason` says what),
 * or `updating` (an update is under way or paused: left alone).
 */
export interface ServiceSpread {
  id: string;
  name: string;
  verdict: 'even' | 'uneven' | 'not-judged' | 'updating';
  reason?: string;
  /** Running tasks per node that could run one, most loaded first; not judged: the nodes its tasks run on. */
  nodes: NodeCount[];
  running: number;
  desired: number;
  /** At most this many tasks per node (--replicas-max-per-node, 1 with a host-mode port); 0: no limit. */
  maxPerNode: number;
  update: UpdateSettings;
}

/** The least spread that counts as uneven: a node with this many tasks more than another could give one. */
export const UNEVEN_GAP = 2;

const UPDATING = new Set(['updating', 'paused', 'rollback_started', 'rollback_paused']);

/**
 * Judges every replicated service from the swarm's services, nodes and the tasks it wants running (of
 * every service: host-mode ports held by other services' tasks count). Eligible nodes are those the
 * scheduler's filters would pass: ready and active, meeting the constraints, of one of the service's
 * platforms, with its log driver, with its host-mode ports free of other services' tasks.
 */
export function judgeSpread(
  services: readonly PlacedService[],
  nodes: readonly SwarmNode[],
  tasks: readonly SwarmTask[],
): ServiceSpread[] {
  const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
  const hostname = new Map(nodes.map((n) => [n.id, n.hostname || n.id]));
  const portsOf = new Map(services.map((s) => [s.id, s.hostPorts]));
  return services
    .filter((s) => s.mode === 'replicated')
    .map((s) => {
      const own = running.filter((t) => t.serviceId === s.id);
      const maxPerNode = s.hostPorts.length > 0 ? 1 : s.maxPerNode;
      const base = { id: s.id, name: s.name, running: own.length, desired: s.replicas, maxPerNode };
      const unjudged = whyNotJudged(s);
      if (unjudged) {
        const perNode = countBy(own.map((t) => hostname.get(t.nodeId) ?? t.nodeId));
        return { ...base, ...unjudged, nodes: perNode, update: s.update };
      }
      const constraints = parseConstraints(s.constraints);
      if (!constraints.ok) {
        const perNode = countBy(own.map((t) => hostname.get(t.nodeId) ?? t.nodeId));
        return {
          ...base,
          verdict: 'not-judged' as const,
          reason: constraints.reason,
          nodes: perNode,
          update: s.update,
        };
      }
      const eligible = nodes.filter(
        (n) =>
          n.state === 'ready' &&
          n.availability === 'active' &&
          nodeMeets(constraints.constraints, constraintNode(n)) &&
          runsPlatform(s, n) &&
          hasLogDriver(s, n) &&
          portsFree(s, n, running, portsOf),
      );
      const counts = eligible
        .map((n) => ({ node: hostname.get(n.id)!, tasks: own.filter((t) => t.nodeId === n.id).length }))
        .sort((a, b) => b.tasks - a.tasks || a.node.localeCompare(b.node));
      const most = counts[0]?.tasks ?? 0;
      const least = counts.at(-1)?.tasks ?? 0;
      const verdict = most - least >= UNEVEN_GAP ? ('uneven' as const) : ('even' as const);
      return { ...base, verdict, nodes: counts, update: s.update };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What keeps eectl from judging a service before its constraints are read (or undefined). */
function whyNotJudged(s: PlacedService): Pick<ServiceSpread, 'verdict' | 'reason'> | undefined {
  const state = s.updateStatus?.state;
  if (state && UPDATING.has(state)) {
    const message = s.updateStatus?.message ? `: ${s.updateStatus.message}` : '';
    return { verdict: 'updating', reason: `its update is ${state.replaceAll('_', ' ')}${message}` };
  }
  if (s.preferences > 0) {
    return {
      verdict: 'not-judged',
      reason: 'placement preferences spread it over label values, not over nodes',
    };
  }
  if (s.reserves) {
    return { verdict: 'not-judged', reason: 'it reserves resources: which nodes have room is not judged' };
  }
  if (s.volumePlugins.length > 0) {
    return {
      verdict: 'not-judged',
      reason: `it mounts volumes of ${s.volumePlugins.join(', ')}: which nodes have them is not judged`,
    };
  }
  return undefined;
}

function constraintNode(n: SwarmNode): ConstraintNode {
  return {
    id: n.id,
    hostname: n.hostname,
    role: n.role,
    labels: n.labels,
    engineLabels: n.placement?.engineLabels ?? {},
    os: n.placement?.os ?? '',
    arch: n.placement?.arch ?? '',
  };
}

/** swarmkit's PlatformFilter: x86_64 is amd64, aarch64 is arm64, an empty field matches any node. */
function runsPlatform(s: PlacedService, n: SwarmNode): boolean {
  if (s.platforms.length === 0) return true;
  const arch = (a: string) => (a === 'x86_64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a);
  const os = n.placement?.os ?? '';
  const nodeArch = arch(n.placement?.arch ?? '');
  // A node that describes no platform runs none (swarmkit: Description.Platform nil).
  if (!os && !nodeArch) return false;
  return s.platforms.some((p) => (!p.arch || arch(p.arch) === nodeArch) && (!p.os || p.os === os));
}

/**
 * swarmkit's PluginFilter for the log driver: a node that lists log plugins must list this one (`name` or
 * `name:latest`); a node that lists none is an older engine and not filtered.
 */
function hasLogDriver(s: PlacedService, n: SwarmNode): boolean {
  const driver = s.logDriver;
  if (!driver || driver === 'none') return true;
  const logs = (n.placement?.plugins ?? []).filter((p) => p.type === 'Log');
  return logs.length === 0 || logs.some((p) => p.name === driver || p.name === `${driver}:latest`);
}

/** swarmkit's HostPortFilter: no task of another service holds one of its host-mode ports on the node. */
function portsFree(
  s: PlacedService,
  n: SwarmNode,
  running: readonly SwarmTask[],
  portsOf: ReadonlyMap<string, PlacedService['hostPorts']>,
): boolean {
  if (s.hostPorts.length === 0) return true;
  return !running.some(
    (t) =>
      t.nodeId === n.id &&
      t.serviceId !== s.id &&
      (portsOf.get(t.serviceId) ?? []).some((p) =>
        s.hostPorts.some((q) => q.port === p.port && q.protocol === p.protocol),
      ),
  );
}

function countBy(names: readonly string[]): NodeCount[] {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts]
    .map(([node, tasks]) => ({ node, tasks }))
    .sort((a, b) => b.tasks - a.tasks || a.node.localeCompare(b.node));
}

/** The least time a rebalance waits for one service, whatever its size. */
const REPLACE_TIMEOUT_MS = 600_000;
/** What one batch of tasks may take to be replaced: stop, schedule, pull, start, on a busy node. */
const BATCH_MS = 120_000;

/**
 * How long a rebalance waits for the swarm to replace a service's tasks, unless --timeout says: 600 s, or
 * 120 s per batch of `parallelism` tasks plus the update delay between batches, when that is longer (a
 * service of 50 replicas, one at a time, is not stuck at 600 s).
 */
export function replaceTimeoutMs(s: Pick<PlacedService, 'replicas' | 'update'>): number {
  const batches = s.update.parallelism === 0 ? 1 : Math.ceil(s.replicas / s.update.parallelism);
  return Math.max(REPLACE_TIMEOUT_MS, batches * (BATCH_MS + s.update.delaySeconds * 1000));
}

/** `w1 3, w2 1, w3 0` */
export function describeSpread(nodes: readonly NodeCount[]): string {
  return nodes.length === 0 ? 'no node' : nodes.map((n) => `${n.node} ${n.tasks}`).join(', ');
}

/** `1 task at a time, stop-first, 10s apart, on failure: rollback` */
export function describeSettings(u: UpdateSettings): string {
  const pace =
    u.parallelism === 0
      ? 'all tasks at once'
      : `${u.parallelism} task${u.parallelism === 1 ? '' : 's'} at a time`;
  const delay = u.delaySeconds > 0 ? `, ${u.delaySeconds}s apart` : '';
  return `${pace}, ${u.order}${delay}, on failure: ${u.failureAction}`;
}

interface RawService {
  ID: string;
  Spec: {
    Name: string;
    Mode?: {
      Replicated?: { Replicas?: number };
      Global?: unknown;
      ReplicatedJob?: unknown;
      GlobalJob?: unknown;
    };
    TaskTemplate?: {
      ContainerSpec?: {
        Mounts?: { Type?: string; Source?: string; VolumeOptions?: { DriverConfig?: { Name?: string } } }[];
      };
      Placement?: {
        Constraints?: string[] | null;
        Preferences?: unknown[] | null;
        MaxReplicas?: number;
        Platforms?: { OS?: string; Architecture?: string }[] | null;
      };
      Resources?: {
        Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: unknown[] | null };
      };
      LogDriver?: { Name?: string };
      ForceUpdate?: number;
    };
    UpdateConfig?: {
      Parallelism?: number;
      Delay?: number;
      FailureAction?: string;
      Order?: string;
    };
    EndpointSpec?: { Ports?: { Protocol?: string; PublishedPort?: number; PublishMode?: string }[] | null };
  };
  UpdateStatus?: { State?: string; StartedAt?: string; Message?: string };
}

/** Parses `docker service inspect` of services (a JSON array) into what placement reads. */
export function parsePlacedServices(json: string): PlacedService[] {
  return (JSON.parse(json) as RawService[]).map((raw) => {
    const spec = raw.Spec;
    const template = spec.TaskTemplate ?? {};
    const placement = template.Placement ?? {};
    const reservations = template.Resources?.Reservations;
    const mode = spec.Mode ?? {};
    const update = spec.UpdateConfig;
    return {
      id: raw.ID,
      name: spec.Name,
      mode:
        mode.Global !== undefined
          ? 'global'
          : mode.ReplicatedJob !== undefined
            ? 'replicated-job'
            : mode.GlobalJob !== undefined
              ? 'global-job'
              : 'replicated',
      replicas: mode.Replicated?.Replicas ?? 0,
      constraints: placement.Constraints ?? [],
      preferences: (placement.Preferences ?? []).length,
      maxPerNode: placement.MaxReplicas ?? 0,
      platforms: (placement.Platforms ?? []).map((p) => ({ os: p.OS ?? '', arch: p.Architecture ?? '' })),
      hostPorts: (spec.EndpointSpec?.Ports ?? [])
        .filter((p) => p.PublishMode === 'host' && (p.PublishedPort ?? 0) !== 0)
        .map((p) => ({ protocol: p.Protocol ?? 'tcp', port: p.PublishedPort! })),
      reserves:
        (reservations?.NanoCPUs ?? 0) > 0 ||
        (reservations?.MemoryBytes ?? 0) > 0 ||
        (reservations?.GenericResources ?? []).length > 0,
      volumePlugins: [
        ...new Set(
          (template.ContainerSpec?.Mounts ?? []).flatMap((m) => {
            if (m.Type === 'cluster') return ['cluster volumes'];
            const driver = m.VolumeOptions?.DriverConfig?.Name;
            return m.Type === 'volume' && driver && driver !== 'local' ? [driver] : [];
          }),
        ),
      ],
      logDriver: template.LogDriver?.Name || undefined,
      forceUpdate: template.ForceUpdate ?? 0,
      // Without an UpdateConfig the swarm uses its defaults; with one, an absent parallelism is 0 (all at once).
      update: update
        ? {
            parallelism: update.Parallelism ?? 0,
            delaySeconds: (update.Delay ?? 0) / 1e9,
            order: update.Order === 'start-first' ? 'start-first' : 'stop-first',
            failureAction: update.FailureAction ?? 'pause',
          }
        : { parallelism: 1, delaySeconds: 0, order: 'stop-first', failureAction: 'pause' },
      updateStatus: raw.UpdateStatus?.State
        ? {
            state: raw.UpdateStatus.State,
            startedAt: raw.UpdateStatus.StartedAt,
            message: raw.UpdateStatus.Message ?? '',
          }
        : undefined,
    };
  });
}
