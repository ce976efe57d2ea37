import type { ClusterConfig } from '../config/schema.js';
import { toEectlError } from '../errors.js';
import { buildSnapshot, type TaskView } from '../dashboard/view-model.js';
import { openClusterApi } from './dashboard.js';
import type { Workloads } from '../results/status.js';

const FAILED_SHOWN_PER_SERVICE = 3;

/**
 * Reads services, tasks and nodes from the managers' engine API with the client bundle (the same reads and
 * view model as the dashboard), so what a user sees is what the access policy lets that bundle see.
 */
export async function readWorkloads(
  config: ClusterConfig,
  bundleDir: string | undefined,
): Promise<Workloads> {
  const { api } = await openClusterApi(config, bundleDir);
  try {
    const [nodes, services, tasks] = await Promise.all([
      api.get<unknown[]>('/nodes'),
      api.get<unknown[]>('/services?status=true'),
      api.get<unknown[]>('/tasks'),
    ]);
    const snapshot = buildSnapshot(config, {
      nodes,
      services,
      tasks,
      events: [],
      probes: [],
      registry: [],
      caNotAfter: undefined,
      answeredBy: api.current,
      errors: {},
    });
    return { services: snapshot.services, tasks: shownTasks(snapshot.tasks), answeredBy: api.current };
  } finally {
    api.close();
  }
}

/** The tasks worth a line: wanted running, plus each service's latest few that failed. */
export function shownTasks(tasks: readonly TaskView[]): TaskView[] {
  const wanted = tasks.filter((t) => t.desiredState === 'running');
  const failed = tasks
    .filter(
      (t) => t.desiredState !== 'running' && (t.error || t.state === 'failed' || t.state === 'rejected'),
    )
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const kept: TaskView[] = [];
  for (const t of failed) {
    if (kept.filter((k) => k.serviceId === t.serviceId).length < FAILED_SHOWN_PER_SERVICE) kept.push(t);
  }
  const order = (t: TaskView) =>
    `${t.serviceName}\t${String(t.slot ?? 0).padStart(6, '0')}\t${t.nodeHostname}`;
  return [...wanted, ...kept].sort((a, b) => order(a).localeCompare(order(b)));
}

/** Reads the workloads, or says why they could not be read (status reports it, the cluster is not judged on it). */
export async function tryReadWorkloads(
  config: ClusterConfig,
  bundleDir: string | undefined,
): Promise<{ workloads: Workloads | undefined; error: string | undefined }> {
  try {
    return { workloads: await readWorkloads(config, bundleDir), error: undefined };
  } catch (e) {
    return { workloads: undefined, error: toEectlError(e).message };
  }
}
