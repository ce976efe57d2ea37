/** Swarm tasks and services, reduced to what draining a node waits for. */

/** A task as `docker inspect` of a task reports it. */
export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  /** running | shutdown | … : what the orchestrator wants. */
  desiredState: string;
  /** new | pending | preparing | running | shutdown | failed | … : what the task is. */
  state: string;
  /** The service's ForceUpdate the task was made with: which tasks a forced update replaced. */
  forceUpdate?: number;
}

/** A service as `docker service ls` reports it. */
export interface SwarmService {
  /** As `service ls` prints it: a prefix of the full ID that tasks carry (it has no --no-trunc). */
  id: string;
  name: string;
  /** replicated | global | replicated-job | global-job */
  mode: string;
  /** `service ls`'s count, which still includes a task shutting down on a drained node. */
  running: number;
  desired: number;
}

interface RawTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  Spec?: { ForceUpdate?: number };
}

/** Parses `docker inspect <task ids…>` (a JSON array). */
export function parseTaskInspect(json: string): SwarmTask[] {
  return (JSON.parse(json) as RawTask[]).map((t) => ({
    id: t.ID,
    serviceId: t.ServiceID ?? '',
    nodeId: t.NodeID ?? '',
    desiredState: t.DesiredState ?? '',
    state: t.Status?.State ?? '',
    ...(t.Spec?.ForceUpdate !== undefined && { forceUpdate: t.Spec.ForceUpdate }),
  }));
}

/** The `--format` that `parseServiceList` reads: ID, name, mode and "running/desired", tab-separated. */
export const SERVICE_LIST_FORMAT = '{{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}';

/** Parses `docker service ls --format SERVICE_LIST_FORMAT`; Replicas may carry a note: `2/3 (max 1 per node)`. */
export function parseServiceList(text: string): SwarmService[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', name = '', mode = '', replicas = ''] = line.split('\t');
      const m = /^(\d+)\/(\d+)/.exec(replicas.trim());
      return { id, name, mode, running: Number(m?.[1] ?? 0), desired: Number(m?.[2] ?? 0) };
    });
}

/** Where draining a node stands: done, or what is still being waited for. */
export interface DrainProgress {
  done: boolean;
  /** Tasks the orchestrator still wants running on the drained node. */
  tasksOnNode: number;
  /** Replicated services that ran on the node and do not run their replica count on other nodes yet. */
  servicesShort: string[];
}

/**
 * Tasks running now of each service, wherever they are: what a drain must not take away. Each service of
 * `serviceIds` is counted, with 0 when none of its tasks runs.
 */
export function runningByService(
  tasks: readonly SwarmTask[],
  serviceIds: Iterable<string> = [],
): Map<string, number> {
  const running = new Map<string, number>([...serviceIds].map((id) => [id, 0]));
  for (const t of tasks) {
    if (t.desiredState === 'running' && t.state === 'running')
      running.set(t.serviceId, (running.get(t.serviceId) ?? 0) + 1);
  }
  return running;
}

/**
 * A drained node is done when no task is wanted on it any more and every replicated service that had a
 * task there runs on other nodes its replica count, or as many tasks as ran before the drain
 * (`runningBefore`) when that was fewer: a service that could not run its count before (a placement no
 * node meets, an image still unreachable while a restore brings the registry back) is not made whole by
 * the drain, and waiting for that would never end; what served before must serve again. Counted from the
 * tasks themselves, not from `service ls`, whose count still includes a task that is shutting down on the
 * drained node. Global services are not waited for: their task on the drained node goes away and runs
 * nowhere else.
 */
export function drainProgress(
  nodeId: string,
  tasks: readonly SwarmTask[],
  services: readonly SwarmService[],
  watchedServiceIds: ReadonlySet<string>,
  runningBefore?: ReadonlyMap<string, number>,
): DrainProgress {
  const wanted = tasks.filter((t) => t.desiredState === 'running');
  const tasksOnNode = wanted.filter((t) => t.nodeId === nodeId).length;
  const watched = [...watchedServiceIds];
  const servicesShort = services
    .filter((s) => s.mode === 'replicated' && watched.some((id) => id.startsWith(s.id)))
    .map((s) => {
      const before = [...(runningBefore ?? [])].find(([id]) => id.startsWith(s.id))?.[1];
      return {
        s,
        needed: before === undefined ? s.desired : Math.min(s.desired, before),
        running: wanted.filter(
          (t) => t.serviceId.startsWith(s.id) && t.nodeId !== nodeId && t.state === 'running',
        ).length,
      };
    })
    .filter(({ needed, running }) => running < needed)
    .map(
      ({ s, needed, running }) =>
        `${s.name} (${running}/${needed} running elsewhere${needed < s.desired ? `, as before the drain; ${s.desired} wanted` : ''})`,
    );
  return { done: tasksOnNode === 0 && servicesShort.length === 0, tasksOnNode, servicesShort };
}
