import { EectlError, ExitCode, UsageError } from '../errors.js';
import type { EngineApi } from '../engine-api/client.js';
import { LocalConnection } from '../ssh/local-connection.js';
import { parseNodeInspect } from '../swarm/nodes.js';
import { drainVerdict } from '../swarm/node-safety.js';
import { updateSwarmObject } from '../swarm/update.js';
import type { Logger } from '../util/log.js';

/**
 * The dashboard's operations (drain, activate, scale, deploy a stack), each through the engine API (or the
 * docker CLI) with the user's client bundle, so the managers' access control decides on them as on any
 * docker command of that user.
 */

/** What an operation did, shown on the page. */
export interface OperationOutcome {
  message: string;
  warnings: string[];
}

/** A swarm object as its inspect endpoint answers it (node, service). */
export interface RawSpecObject {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown>;
}

/**
 * Drain or activate a node: the availability change `eectl node drain` / `activate` make, with the same
 * safety verdict; the page then shows the tasks moving (the CLI waits for them instead).
 */
export async function setNodeAvailability(
  api: Pick<EngineApi, 'get' | 'post'>,
  nodeId: string,
  availability: 'drain' | 'active',
): Promise<OperationOutcome> {
  const raw = await api.get<unknown[]>('/nodes');
  const nodes = parseNodeInspect(JSON.stringify(raw));
  const node = nodes.find((n) => n.id === nodeId);
  if (!node) throw new UsageError(`no node ${nodeId} in the swarm`, { code: 'ENO_NODE' });
  const warnings =
    availability === 'drain'
      ? drainVerdict({ name: node.hostname, node, nodes, fileRole: undefined, fileRoles: [] }).warnings
      : [];
  if (node.availability === availability) {
    return { message: `node ${node.hostname} is already ${availability}`, warnings };
  }
  // Read at its current version and posted with it; a version conflict is read and posted again.
  await updateSwarmObject(`node ${node.hostname}: ${availability}`, async () => {
    const current = await api.get<RawSpecObject>(`/nodes/${encodeURIComponent(nodeId)}`);
    const request = availabilityRequest(current, availability);
    await api.post(request.path, request.body);
  });
  const verb = availability === 'drain' ? 'drained: its tasks move to other nodes' : 'active again';
  return { message: `node ${node.hostname} ${verb}`, warnings };
}

/** Sets a replicated service's replica count (what `docker service scale NAME=N` does). */
export async function scaleService(
  api: Pick<EngineApi, 'get' | 'post'>,
  serviceId: string,
  replicas: number,
): Promise<OperationOutcome> {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 1000) {
    throw new UsageError(`replicas must be a whole number from 0 to 1000, not ${replicas}`);
  }
  // Read at its current version and posted with it; a version conflict is read and posted again.
  const spec = await updateSwarmObject(`service ${serviceId}: scale to ${replicas}`, async () => {
    const current = await api.get<RawSpecObject>(`/services/${encodeURIComponent(serviceId)}`);
    const named = current.Spec as { Name?: string };
    const request = scaleRequest(current, replicas);
    if (!request) {
      throw new UsageError(
        `service ${named.Name ?? serviceId} is not replicated: only replicated services scale`,
      );
    }
    await api.post(request.path, request.body);
    return named;
  });
  return { message: `service ${spec.Name ?? serviceId} scaled to ${replicas}`, warnings: [] };
}

/** An engine API request an operation sends: what the access policy is asked about, exactly as it goes out. */
export interface ApiRequest {
  method: 'POST';
  path: string;
  body: Record<string, unknown>;
}

/** The node update that drains or activates `current` (a node as `GET /nodes/{id}` answers it). */
export function availabilityRequest(current: RawSpecObject, availability: 'drain' | 'active'): ApiRequest {
  return {
    method: 'POST',
    path: `/nodes/${encodeURIComponent(current.ID)}/update?version=${current.Version.Index}`,
    body: { ...current.Spec, Availability: availability },
  };
}

/** The service update that scales `current` to `replicas`; undefined when it is not a replicated service. */
export function scaleRequest(current: RawSpecObject, replicas: number): ApiRequest | undefined {
  const spec = current.Spec as { Mode?: { Replicated?: unknown } };
  if (!spec.Mode?.Replicated) return undefined;
  return {
    method: 'POST',
    path: `/services/${encodeURIComponent(current.ID)}/update?version=${current.Version.Index}`,
    body: { ...current.Spec, Mode: { Replicated: { Replicas: replicas } } },
  };
}

/** What `docker stack deploy` accepts as a stack name. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const COMPOSE_MAX_BYTES = 1024 * 1024;

export interface StackDeployOptions {
  name: string;
  /** The Compose v3 file's text. */
  compose: string;
  /** `host:port` of the manager's API. */
  endpoint: string;
  /** The client bundle directory (ca.pem, cert.pem, key.pem). */
  bundleDir: string;
  log: Logger;
}

/**
 * Deploys a Compose v3 file as a stack with the plain docker CLI of this machine pointed at the manager
 * with the client bundle, exactly as a user would (the stack format is the CLI's own: the engine API has
 * no stack endpoint). Images are not resolved here: the dashboard holds no registry credentials, and
 * each node pulls the image from its registry anyway.
 */
export async function deployStack(options: StackDeployOptions): Promise<OperationOutcome> {
  if (!STACK_NAME.test(options.name)) {
    throw new UsageError(
      `stack name ${JSON.stringify(options.name)}: use letters, digits, '_', '.' or '-' (63 at most)`,
    );
  }
  if (Buffer.byteLength(options.compose) > COMPOSE_MAX_BYTES)
    throw new UsageError('the Compose file is over 1 MiB');
  if (!/^\s*services\s*:/m.test(options.compose)) {
    throw new UsageError('this is not a Compose file: it has no top-level "services:"');
  }
  const local = new LocalConnection('localhost', options.log);
  // Not secret: passed with env(1) so they are neither logged as secrets nor left for a docker context to override.
  const argv = [
    'env',
    '-u',
    'DOCKER_CONTEXT',
    `DOCKER_HOST=tcp://${options.endpoint}`,
    'DOCKER_TLS_VERIFY=1',
    `DOCKER_CERT_PATH=${options.bundleDir}`,
    'docker',
    'stack',
    'deploy',
    '--compose-file',
    '-',
    '--resolve-image',
    'never',
    options.name,
  ];
  const r = await local.exec(argv, { stdin: options.compose, check: false, timeoutMs: 120_000 });
  const output = `${r.stdout}\n${r.stderr}`.trim();
  if (r.code === 127) {
    throw new EectlError(
      'no docker CLI on this machine: the dashboard deploys stacks with `docker stack deploy`',
      {
        code: 'ENO_DOCKER_CLI',
        kind: 'user',
        exitCode: ExitCode.failure,
        suggestions: ['Install the docker CLI (Debian: docker.io or docker-cli), then try again.'],
      },
    );
  }
  if (r.code !== 0) {
    const denied = /\b403\b|forbidden|denied|authorization/i.test(output);
    throw new EectlError(
      `docker stack deploy ${options.name} failed: ${output.split('\n').slice(-5).join(' ')}`,
      {
        code: denied ? 'EDENIED' : 'ESTACK_DEPLOY',
        kind: denied ? 'user' : 'external',
        exitCode: ExitCode.failure,
      },
    );
  }
  return {
    message: `stack ${options.name} deployed`,
    warnings: output.split('\n').filter((l) => /warn/i.test(l)),
  };
}
