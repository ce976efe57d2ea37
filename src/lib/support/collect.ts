import { MANAGER_SERVICE_UNITS, REGISTRY_SERVICE_UNITS } from '../host/reset-leftovers.js';
import { toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import { gatherFacts } from '../host/facts.js';
import { DAEMON_JSON } from '../host-layout.js';
import type { Facts } from '../host/facts-types.js';
import type { Host } from '../host/host.js';
import { journalTail } from '../host/journal.js';
import { parseTaskErrors } from './task-errors.js';
import {
  HOST_FILES,
  hostDir,
  journalFile,
  SWARM_NODES,
  SWARM_SERVICES,
  SWARM_TASK_ERRORS,
  SWARM_TASKS,
  type DumpEntry,
} from './layout.js';

/** The engine's unit, whose journal every host's dump has. */
export const ENGINE_UNIT = 'docker.service';

/** Which units' journals a host's dump has: the engine's, and eectl's own services of its role. */
export function journalUnits(host: Pick<Host, 'isManager' | 'role'>): string[] {
  if (host.isManager) return [ENGINE_UNIT, ...MANAGER_SERVICE_UNITS];
  return host.role === 'registry' ? [ENGINE_UNIT, ...REGISTRY_SERVICE_UNITS] : [ENGINE_UNIT];
}

/** A host's facts as a dump shows them: the managed files by size (daemon.json has a file of its own). */
export function factsForDump(facts: Facts): object {
  const { files, ...rest } = facts;
  const managedFiles = Object.entries(files).map(([path, text]) => ({
    path,
    bytes: Buffer.byteLength(text),
  }));
  return { ...rest, managedFiles };
}

/**
 * Collects one host into `out` as it goes (so what was read before a timeout is kept): facts, `docker
 * info`, daemon.json and the journals. A part that fails is noted in `problems` and the rest goes on;
 * only the facts are needed for the rest. Never reads a secret: no key, no token, no password file.
 */
export async function collectHost(
  host: Host,
  options: { journalLines: number; signal?: AbortSignal },
  out: DumpEntry[],
  problems: string[],
): Promise<void> {
  const dir = hostDir(host.name);
  const { signal } = options;
  host.facts = await gatherFacts(host.conn, signal);
  out.push({ name: `${dir}/${HOST_FILES.facts}`, text: json(factsForDump(host.facts)) });
  const daemon = host.facts.files[DAEMON_JSON];
  out.push({
    name: `${dir}/${HOST_FILES.daemonJson}`,
    text: daemon ?? `(no ${DAEMON_JSON} on this host)\n`,
  });
  if (host.facts.engine?.running) {
    await part(problems, 'docker info', async () => {
      const text = await new HostDocker(host).infoText(signal ? { signal } : {});
      out.push({ name: `${dir}/${HOST_FILES.dockerInfo}`, text: pretty(text) });
    });
  } else {
    problems.push('docker info: the engine is not running or not installed');
  }
  for (const unit of journalUnits(host)) {
    await part(problems, `journal of ${unit}`, async () => {
      const r = await journalTail(host, unit, options.journalLines, signal ? { signal } : {});
      if ('missing' in r) problems.push(`journal of ${unit}: ${r.missing}`);
      else out.push({ name: `${dir}/${journalFile(unit)}`, text: r.text });
    });
  }
}

/** The swarm from a manager: nodes, services and tasks (inspected), and the tasks' errors on their own. */
export async function collectSwarm(manager: Host, out: DumpEntry[], signal?: AbortSignal): Promise<string> {
  const docker = new HostDocker(manager);
  const options = signal ? { signal } : {};
  const nodes = await docker.inspectAllNodes(options);
  out.push({ name: SWARM_NODES, text: pretty(nodes) });
  out.push({ name: SWARM_SERVICES, text: pretty(await docker.inspectAllServices()) });
  const tasks = await docker.inspectAllTasks(options);
  out.push({ name: SWARM_TASKS, text: pretty(tasks) });
  out.push({ name: SWARM_TASK_ERRORS, text: parseTaskErrors(tasks) });
  return nodes;
}

async function part(problems: string[], what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    problems.push(`${what}: ${toEectlError(error).message}`);
  }
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Docker's one-line JSON, indented; as it came when it is not JSON. */
function pretty(text: string): string {
  try {
    return json(JSON.parse(text));
  } catch {
    return text;
  }
}
