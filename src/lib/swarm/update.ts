import { CommandFailedError, EectlError, ExitCode, toEectlError } from '../errors.js';
import { pause } from '../util/poll.js';

/**
 * How the swarm refuses an update made against an older version of the object: every node, service and
 * the cluster spec carry a version, an update names the version it was built from, and the managers
 * refuse it when anything changed the object in between (optimistic concurrency). The CLI says
 * "rpc error: code = Unknown desc = update out of sequence"; the engine API answers the same text.
 */
const VERSION_CONFLICT = /update out of sequence/i;

/** Tries of one update before a version conflict is the run's failure. */
export const UPDATE_ATTEMPTS = 5;
/** The pause before the second try; each later try waits once more as long. */
const RETRY_PAUSE_MS = 250;

/** Whether the swarm refused an update because the object changed since it was read. */
export function isVersionConflict(error: unknown): boolean {
  const e = toEectlError(error);
  const said = [e.message, ...(e instanceof CommandFailedError ? e.outputTail : [])].join('\n');
  return VERSION_CONFLICT.test(said);
}

export interface SwarmUpdateOptions {
  /** The run's interrupt: a pause between tries ends at once. */
  signal?: AbortSignal | undefined;
  /** Told before each retry. */
  onRetry?: (attempt: number, error: unknown) => void;
  attempts?: number;
  pauseMs?: number;
}

/**
 * The one way eectl updates a swarm object (node labels, availability and role, a service, the cluster
 * spec): `update` reads the object's current version and applies the change to it (the Docker CLI's
 * `node update` and `service update` do both in one call; an API caller reads and then posts with
 * `?version=`). When the swarm refuses it with a version conflict — something else changed the object in
 * between, which is normal on a live cluster — it is read and applied again, up to `attempts` times, with
 * a growing pause. `attempt` (0 first) lets a caller that computed its change from an earlier read read
 * again. Any other failure is thrown as it is.
 */
export async function updateSwarmObject<T>(
  what: string,
  update: (attempt: number) => Promise<T>,
  options: SwarmUpdateOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? UPDATE_ATTEMPTS;
  const pauseMs = options.pauseMs ?? RETRY_PAUSE_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await update(attempt);
    } catch (error) {
      if (!isVersionConflict(error)) throw error;
      if (attempt + 1 >= attempts) throw conflictError(what, attempts, error);
      options.onRetry?.(attempt + 1, error);
      await pause(pauseMs * (attempt + 1), options.signal);
    }
  }
}

function conflictError(what: string, attempts: number, cause: unknown): EectlError {
  const e = toEectlError(cause);
  return new EectlError(
    `${what}: the swarm refused the update ${attempts} times because the object kept changing under it (update out of sequence)`,
    {
      code: 'ESWARM_CONFLICT',
      kind: 'external',
      exitCode: ExitCode.failure,
      host: e.host,
      cause,
      suggestions: [
        'Something else keeps changing it (another tool, an operator, the swarm itself): find what, then run the same command again.',
      ],
    },
  );
}
