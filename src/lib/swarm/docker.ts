import { Writable } from 'node:stream';
import { EectlError, ExitCode } from '../errors.js';
import { addSecret, redact } from '../util/redact.js';
import type { ExecOptions } from '../ssh/connection.js';
import { parseNodeInspect, type SwarmNode } from './nodes.js';
import { parsePlacedServices, type PlacedService } from './spread.js';
import { updateSwarmObject } from './update.js';
import {
  parseServiceList,
  parseTaskInspect,
  SERVICE_LIST_FORMAT,
  type SwarmService,
  type SwarmTask,
} from './tasks.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { parseSwarm } from '../host/facts.js';
import type { SwarmFacts } from '../host/facts-types.js';
import type { Host } from '../host/host.js';

/** A swarm config or secret reference: the object's name and where the task sees it. */
export interface ObjectRef {
  source: string;
  target: string;
}

/** A swarm service as eectl defines it: global, constrained, ports in host mode, configs and secrets by name. */
export interface ServiceDefinition {
  name: string;
  image: string;
  constraints: string[];
  /** Published in host mode on each node that runs a task (no routing mesh needed). */
  hostPorts: { target: number; published: number }[];
  configs: ObjectRef[];
  secrets: ObjectRef[];
  binds: ObjectRef[];
  /** One task at a time; stop-first, since a host-mode port cannot be held by two tasks of a node. */
  rolling: { parallelism: number; order: 'stop-first' | 'start-first' };
  /** Overlay networks the tasks join (by name). */
  networks?: string[];
  /** Bind mounts the tasks only read. */
  readOnlyBinds?: ObjectRef[];
  /** The command, replacing the image's CMD. */
  args?: string[];
  stopSignal?: string;
  stopGracePeriod?: string;
  /** The user the tasks start as (`uid:gid`), instead of the image's USER. */
  user?: string;
  /**
   * DNS servers for names the swarm's embedded DNS does not know (`--dns`; set at create only). The
   * ingress proxies resolve only `tasks.<service>`: they get none that answers, so an unknown name fails at
   * once instead of waiting on outside servers (which air-gapped hosts, and the sandbox, do not reach).
   */
  dns?: string[];
  /** Names the tasks resolve to an address (`--host NAME:ADDRESS`; `host-gateway` is the node itself). */
  extraHosts?: string[];
}

/** What `service inspect` says of the parts of a service that eectl defines. */
export type ServiceState = Omit<ServiceDefinition, 'rolling'> & { id: string; mode: string };

/** Waits of service create/update: until every task of the rollout runs (or the update rolled back). */
const ROLLOUT_TIMEOUT_MS = 600_000;

/**
 * POST /swarm/join to the local engine, the body (with the join token) read from stdin; prints the answer
 * and then the HTTP status on a line of its own. The engine answers once the node has joined.
 */
export const SWARM_JOIN_CURL = [
  'curl',
  '-sS',
  '--max-time',
  '140',
  '--unix-socket',
  '/var/run/docker.sock',
  '-H',
  'Content-Type: application/json',
  '--data-binary',
  '@-',
  '-w',
  '\\n%{http_code}\\n',
  'http://localhost/swarm/join',
];

/** `node ps` / `service ps` arguments: full IDs of the tasks that should be running. */
const WANTED_TASKS = ['--quiet', '--no-trunc', '--filter', 'desired-state=running'];

/** The swarm's root CA as a manager reports it. */
export interface SwarmCa {
  caCertPem: string;
  issuerPublicKey: string;
  rotating: boolean;
}

/** The CA a node's certificate chains to, as `docker node inspect` reports it. */
export interface NodeCertificate {
  id: string;
  hostname: string;
  addr: string;
  caCertPem: string;
  issuerPublicKey: string;
}

/**
 * The Docker CLI on a host (one module owns it: docs/architecture.md). Every call runs as root, because the
 * engine's socket is root's; join tokens are registered as secrets so they never reach a log.
 */
export class HostDocker {
  constructor(private readonly host: Host) {}

  private run(args: string[], options: ExecOptions = {}) {
    return this.host.sudo(['docker', ...args], { timeoutMs: 120_000, ...options });
  }

  async swarmInit(options: {
    advertiseAddr: string;
    defaultAddrPool: string[];
    subnetSize?: number;
    dataPathPort: number;
  }): Promise<void> {
    const args = [
      'swarm',
      'init',
      '--advertise-addr',
      options.advertiseAddr,
      '--listen-addr',
      `${options.advertiseAddr}:2377`,
    ];
    for (const pool of options.defaultAddrPool) args.push('--default-addr-pool', pool);
    if (options.subnetSize !== undefined && options.defaultAddrPool.length > 0) {
      args.push('--default-addr-pool-mask-length', String(options.subnetSize));
    }
    if (options.dataPathPort !== 4789) args.push('--data-path-port', String(options.dataPathPort));
    await this.run(args);
  }

  /** Waits until the daemon answers (after a start or restart); returns the version it reports. */
  async waitUntilUp(timeoutMs = 60_000): Promise<string> {
    const outcome = await pollUntil(
      async () => {
        const r = await this.run(['version', '--format', '{{.Server.Version}}'], {
          check: false,
          timeoutMs: 15_000,
        });
        return r.code === 0 && r.stdout.trim() ? done(r.stdout.trim()) : pending(undefined);
      },
      // Often: the swarm's init or join waits on this engine (a started engine answers within a second).
      { timeoutMs, intervalMs: 250 },
    );
    if ('value' in outcome) return outcome.value;
    throw new EectlError(`${this.host.name}: the engine does not answer after ${timeoutMs / 1000}s`, {
      code: 'EENGINE_DOWN',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: this.host.name,
      suggestions: [`Look at \`journalctl -u docker\` on ${this.host.name}, then run install again.`],
    });
  }

  /** `docker info` as JSON: what the running daemon reports (version, options, start time). */
  async info(): Promise<Record<string, unknown>> {
    const { stdout } = await this.run(['info', '--format', '{{json .}}'], { timeoutMs: 30_000 });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  /** This node's own view of the swarm (state, node ID, whether it is a manager). */
  async swarmInfo(): Promise<SwarmFacts | undefined> {
    const { stdout } = await this.run(['info', '--format', '{{json .Swarm}}']);
    return parseSwarm(stdout.trim());
  }

  async joinToken(role: 'manager' | 'worker'): Promise<string> {
    const { stdout } = await this.run(['swarm', 'join-token', '--quiet', role], { secretOutput: true });
    return stdout.trim();
  }

  /**
   * Joins the swarm through the engine API on the host's own socket (POST /swarm/join), with the request
   * body, token included, on curl's stdin: `docker swarm join --token …` would put the token on docker's
   * command line, where any local user reads it in /proc/PID/cmdline while the join runs.
   */
  async swarmJoin(options: { token: string; managerAddr: string; advertiseAddr: string }): Promise<void> {
    const body = JSON.stringify({
      ListenAddr: `${options.advertiseAddr}:2377`,
      AdvertiseAddr: options.advertiseAddr,
      RemoteAddrs: [`${options.managerAddr}:2377`],
      JoinToken: options.token,
    });
    const r = await this.host.sudo(SWARM_JOIN_CURL, {
      stdin: body,
      secrets: [options.token],
      timeoutMs: 150_000,
      check: false,
    });
    const lines = r.stdout.trimEnd().split('\n');
    const status = lines.pop() ?? '';
    if (r.code === 0 && status === '200') return;
    const answer = lines.join('\n').trim();
    let reason = answer || r.stderr.trim() || `curl exit ${String(r.code)}`;
    try {
      reason = (JSON.parse(answer) as { message?: string }).message ?? reason;
    } catch {
      // Not the engine's JSON error: the text as it came.
    }
    if (r.code === 127) reason = 'curl is not installed (eectl joins through the engine API with it)';
    throw new EectlError(
      `${this.host.name}: swarm join through ${options.managerAddr} failed: ${redact(reason)}`,
      {
        code: 'ESWARM_JOIN',
        kind: 'external',
        exitCode: ExitCode.partial,
        host: this.host.name,
        suggestions: [
          `Check that ${options.advertiseAddr} reaches ${options.managerAddr} on 2377/tcp and that curl is installed on ${this.host.name}.`,
          'Then run install again: it continues from where it stopped.',
        ],
      },
    );
  }

  async swarmLeave(force: boolean): Promise<void> {
    await this.run(['swarm', 'leave', ...(force ? ['--force'] : [])]);
  }

  /** Every node of the swarm, as this manager sees it. */
  async nodes(): Promise<SwarmNode[]> {
    const ids = (await this.run(['node', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
    if (ids.length === 0) return [];
    return parseNodeInspect((await this.run(['node', 'inspect', ...ids])).stdout);
  }

  async nodeUpdate(
    nodeId: string,
    changes: {
      labels?: Record<string, string>;
      removeLabels?: string[];
      availability?: string;
      role?: string;
    },
  ): Promise<void> {
    const args = ['node', 'update'];
    for (const [k, v] of Object.entries(changes.labels ?? {})) args.push('--label-add', `${k}=${v}`);
    for (const k of changes.removeLabels ?? []) args.push('--label-rm', k);
    if (changes.availability) args.push('--availability', changes.availability);
    if (changes.role) args.push('--role', changes.role);
    // The CLI reads the node's version and updates it; every flag is absolute, so a retry applies the same.
    await this.swarmUpdate(`node update ${nodeId}`, () => this.run([...args, nodeId]));
  }

  /** One update of a swarm object through `updateSwarmObject`: a version conflict is read and applied again. */
  private swarmUpdate<T>(what: string, update: (attempt: number) => Promise<T>): Promise<T> {
    return updateSwarmObject(`${this.host.name}: ${what}`, update, {
      onRetry: (attempt) =>
        this.host.log.info(
          `${what}: the swarm changed it meanwhile (update out of sequence), try ${attempt + 1}`,
        ),
    });
  }

  async nodeRemove(nodeId: string, force: boolean): Promise<void> {
    await this.run(['node', 'rm', ...(force ? ['--force'] : []), nodeId]);
  }

  /** Tasks the orchestrator wants running on a node, with their service (what draining it waits for). */
  async nodeTasks(nodeId: string): Promise<SwarmTask[]> {
    const listed = await this.run(['node', 'ps', ...WANTED_TASKS, nodeId]);
    return this.inspectTasks(listed.stdout);
  }

  /** Tasks the orchestrator wants running for these services, wherever they are. */
  async serviceTasks(serviceIds: string[]): Promise<SwarmTask[]> {
    if (serviceIds.length === 0) return [];
    const listed = await this.run(['service', 'ps', ...WANTED_TASKS, ...serviceIds]);
    return this.inspectTasks(listed.stdout);
  }

  private async inspectTasks(idLines: string): Promise<SwarmTask[]> {
    const ids = [...new Set(idLines.split('\n').filter(Boolean))];
    if (ids.length === 0) return [];
    // A task can vanish between the two calls: inspect then prints the others and exits 1.
    const { stdout } = await this.run(['inspect', '--type', 'task', ...ids], { check: false });
    return stdout.trim().startsWith('[') ? parseTaskInspect(stdout) : [];
  }

  /** The service, or undefined when there is none of that name. */
  async serviceInspect(name: string): Promise<ServiceState | undefined> {
    const r = await this.run(['service', 'inspect', name], { check: false });
    if (r.code !== 0 && /no such service/i.test(r.stderr + r.stdout)) return undefined;
    if (r.code !== 0) await this.run(['service', 'inspect', name]); // throws with the real failure
    return parseServiceInspect(r.stdout);
  }

  /** Creates a global service and waits until its tasks run (`--detach=false`). */
  async serviceCreate(def: ServiceDefinition): Promise<void> {
    const args = ['service', 'create', '--detach=false', '--quiet', '--no-resolve-image', '--name', def.name];
    args.push('--mode', 'global', ...rollingArgs(def));
    for (const c of def.constraints) args.push('--constraint', c);
    for (const p of def.hostPorts) args.push('--publish', hostPort(p));
    for (const c of def.configs) args.push('--config', `source=${c.source},target=${c.target}`);
    for (const s of def.secrets) args.push('--secret', `source=${s.source},target=${s.target}`);
    for (const b of def.binds) args.push('--mount', bindMount(b));
    for (const b of def.readOnlyBinds ?? []) args.push('--mount', `${bindMount(b)},readonly`);
    for (const n of def.networks ?? []) args.push('--network', n);
    if (def.stopSignal) args.push('--stop-signal', def.stopSignal);
    if (def.stopGracePeriod) args.push('--stop-grace-period', def.stopGracePeriod);
    if (def.user) args.push('--user', def.user);
    for (const d of def.dns ?? []) args.push('--dns', d);
    for (const h of def.extraHosts ?? []) args.push('--host', h);
    await this.run([...args, def.image, ...(def.args ?? [])], { timeoutMs: ROLLOUT_TIMEOUT_MS });
  }

  /**
   * Brings a service to `def` in one update (removals before additions, as the CLI applies them) and
   * waits for the rollout: one task at a time, rolled back when a new task fails.
   */
  async serviceUpdate(def: ServiceDefinition, current: ServiceState): Promise<void> {
    await this.swarmUpdate(`service update ${def.name}`, async (attempt) => {
      // A retry reads the service again: the removals and additions are what differs from it now.
      const now = attempt === 0 ? current : ((await this.serviceInspect(def.name)) ?? current);
      await this.run(serviceUpdateArgs(def, now), { timeoutMs: ROLLOUT_TIMEOUT_MS });
    });
  }

  /** Whether a network of this name exists. */
  async networkExists(name: string): Promise<boolean> {
    return (await this.run(['network', 'inspect', name], { check: false })).code === 0;
  }

  /** Creates an attachable overlay network (services and `docker run --network` may join it). */
  async overlayNetworkCreate(name: string): Promise<void> {
    await this.run(['network', 'create', '--driver', 'overlay', '--attachable', name]);
  }

  /** Names of every swarm config (`kind` config) or secret. */
  async objectNames(kind: 'config' | 'secret'): Promise<string[]> {
    const { stdout } = await this.run([kind, 'ls', '--format', '{{.Name}}']);
    return stdout.split('\n').filter(Boolean);
  }

  /** Creates a secret; its content goes through stdin, never on a command line. */
  async secretCreate(name: string, content: string): Promise<void> {
    await this.run(['secret', 'create', name, '-'], { stdin: content, secrets: [content.trim()] });
  }

  /** Creates a config; `template` makes the swarm render it per task (Go template, may read secrets). */
  async configCreate(
    name: string,
    content: string,
    options: { template?: boolean; labels?: Record<string, string> } = {},
  ): Promise<void> {
    const driver = options.template ? ['--template-driver', 'golang'] : [];
    const labels = Object.entries(options.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    await this.run(['config', 'create', ...driver, ...labels, name, '-'], { stdin: content });
  }

  /** A config's content and whether the swarm renders it as a template (`--template-driver golang`). */
  async configData(name: string): Promise<{ content: string; template: boolean }> {
    const { stdout } = await this.run(['config', 'inspect', '--format', '{{json .Spec}}', name]);
    const spec = JSON.parse(stdout) as { Data?: string; Templating?: { Name?: string } };
    return {
      content: Buffer.from(spec.Data ?? '', 'base64').toString('utf8'),
      template: spec.Templating?.Name === 'golang',
    };
  }

  /** IDs of this host's running containers of a swarm service (its tasks placed here). */
  async serviceContainers(service: string): Promise<string[]> {
    const { stdout } = await this.run([
      'ps',
      '--quiet',
      '--filter',
      `label=com.docker.swarm.service.name=${service}`,
      '--filter',
      'status=running',
    ]);
    return stdout.split('\n').filter(Boolean);
  }

  /** Runs a command inside a running container (argv, no shell); the exit code is the caller's to judge. */
  async containerExec(container: string, argv: string[], options: ExecOptions = {}) {
    return this.run(['exec', container, ...argv], { check: false, ...options });
  }

  /** Removes a service and its tasks. */
  async serviceRemove(name: string): Promise<void> {
    await this.run(['service', 'rm', name]);
  }

  /** Removes configs or secrets (the swarm refuses those a service still uses). */
  async objectRemove(kind: 'config' | 'secret', names: string[]): Promise<void> {
    if (names.length > 0) await this.run([kind, 'rm', ...names]);
  }

  /** Loads images from a `docker save` archive on the host; returns the `Loaded image:` lines. */
  async load(archive: string): Promise<string[]> {
    const { stdout } = await this.run(['load', '--input', archive], { timeoutMs: 600_000 });
    return stdout.split('\n').filter((l) => l.startsWith('Loaded image'));
  }

  /** The swarm's ID and whether its managers are autolocked (`docker info` on a manager). */
  async swarmIdentity(): Promise<{ id: string; autolock: boolean }> {
    const { stdout } = await this.run([
      'info',
      '--format',
      '{{.Swarm.Cluster.ID}} {{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}',
    ]);
    const [id = '', autolock = ''] = stdout.trim().split(' ');
    return { id, autolock: autolock === 'true' };
  }

  /** The autolock unlock key, registered as a secret; stdout goes to a sink, so no log line holds it. */
  async unlockKey(): Promise<string> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        chunks.push(chunk);
        done();
      },
    });
    await this.run(['swarm', 'unlock-key', '--quiet'], { stdoutTo: sink, timeoutMs: 60_000 });
    const key = Buffer.concat(chunks).toString('utf8').trim();
    addSecret(key);
    return key;
  }

  /** Unlocks an autolocked manager after an engine start; the key goes through stdin. */
  async swarmUnlock(key: string): Promise<void> {
    await this.run(['swarm', 'unlock'], { stdin: `${key}\n`, secrets: [key] });
  }

  /**
   * Starts a one-manager swarm from the swarm state on this host (a restored backup), keeping its objects,
   * advertising `advertiseAddr`.
   */
  async swarmForceNewCluster(advertiseAddr: string): Promise<void> {
    await this.run([
      'swarm',
      'init',
      '--force-new-cluster',
      '--advertise-addr',
      advertiseAddr,
      '--listen-addr',
      `${advertiseAddr}:2377`,
    ]);
  }

  /** `ID NAME` lines of every secret, config or swarm-scoped network (full IDs). */
  async objectsWithIds(kind: 'secret' | 'config' | 'network'): Promise<string> {
    const args =
      kind === 'network' ? ['network', 'ls', '--no-trunc', '--filter', 'scope=swarm'] : [kind, 'ls'];
    return (await this.run([...args, '--format', '{{.ID}} {{.Name}}'])).stdout;
  }

  /** `docker service inspect` of every service (a JSON array; `[]` when there is none). */
  async inspectAllServices(): Promise<string> {
    const ids = (await this.run(['service', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
    if (ids.length === 0) return '[]';
    return (await this.run(['service', 'inspect', ...ids])).stdout;
  }

  /** Every service, or those of `ids` that still exist, as placement reads them (swarm/spread.ts). */
  async placedServices(ids?: readonly string[]): Promise<PlacedService[]> {
    if (!ids) return parsePlacedServices(await this.inspectAllServices());
    if (ids.length === 0) return [];
    // A service removed meanwhile: inspect prints the others (or `[]`) and exits 1.
    const r = await this.run(['service', 'inspect', ...ids], { check: false });
    if (r.stdout.trim().startsWith('[')) return parsePlacedServices(r.stdout);
    // No JSON: not an absent service but a failure, which a checked run throws (or a passing hiccup).
    return parsePlacedServices((await this.run(['service', 'inspect', ...ids])).stdout);
  }

  /**
   * Has the swarm replace every task of a service (`--force`), which it does with the service's own
   * update settings (parallelism, delay, order, failure action); returns once the swarm took the update
   * (`--detach`): the caller waits for the tasks. The image is not resolved again (`--no-resolve-image`),
   * so the new tasks run what the old ones ran.
   */
  async serviceForceUpdate(id: string): Promise<void> {
    await this.swarmUpdate(`service update --force ${id}`, () =>
      this.run(['service', 'update', '--force', '--detach', '--quiet', '--no-resolve-image', id]),
    );
  }

  /**
   * The swarm's CA as this manager reports it: its root certificate (PEM), the issuer's public key that
   * nodes' certificates must carry, and whether a root rotation is still under way.
   */
  async swarmCa(): Promise<SwarmCa> {
    const { stdout } = await this.run(['info', '--format', '{{json .Swarm.Cluster}}'], { timeoutMs: 30_000 });
    const raw = JSON.parse(stdout) as {
      TLSInfo?: { TrustRoot?: string; CertIssuerPublicKey?: string };
      RootRotationInProgress?: boolean;
    } | null;
    return {
      caCertPem: raw?.TLSInfo?.TrustRoot ?? '',
      issuerPublicKey: raw?.TLSInfo?.CertIssuerPublicKey ?? '',
      rotating: raw?.RootRotationInProgress === true,
    };
  }

  /** Each node's TLS identity as the swarm records it: the CA its certificate chains to (node inspect). */
  async nodeCertificates(): Promise<NodeCertificate[]> {
    const ids = (await this.run(['node', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
    if (ids.length === 0) return [];
    const { stdout } = await this.run(['node', 'inspect', ...ids]);
    const nodes = JSON.parse(stdout) as {
      ID: string;
      Description?: { Hostname?: string; TLSInfo?: { TrustRoot?: string; CertIssuerPublicKey?: string } };
      Status?: { Addr?: string };
    }[];
    return nodes.map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      addr: n.Status?.Addr ?? '',
      caCertPem: n.Description?.TLSInfo?.TrustRoot ?? '',
      issuerPublicKey: n.Description?.TLSInfo?.CertIssuerPublicKey ?? '',
    }));
  }

  /**
   * Starts a rotation of the swarm's root CA (`docker swarm ca --rotate --detach`): swarmkit issues a new
   * CA, cross-signs it and reissues every node's certificate; the caller waits for the nodes.
   */
  async swarmCaRotate(): Promise<void> {
    await this.run(['swarm', 'ca', '--rotate', '--detach', '--quiet'], { timeoutMs: 60_000 });
  }

  /** `docker info` as the daemon prints it (JSON), for a support dump: it holds no join token. */
  async infoText(options: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.bulk(['info', '--format', '{{json .}}'], options)).stdout;
  }

  /** `docker node inspect` of every node (a JSON array), for a support dump. */
  async inspectAllNodes(options: { signal?: AbortSignal } = {}): Promise<string> {
    const ids = (await this.run(['node', 'ls', '--quiet'], options)).stdout.split('\n').filter(Boolean);
    if (ids.length === 0) return '[]';
    return (await this.bulk(['node', 'inspect', ...ids], options)).stdout;
  }

  /**
   * `docker inspect` of every task the swarm keeps (each service's history too, whatever its desired
   * state: the failed ones carry their error), for a support dump. A JSON array.
   */
  async inspectAllTasks(options: { signal?: AbortSignal } = {}): Promise<string> {
    const services = (await this.run(['service', 'ls', '--quiet'], options)).stdout
      .split('\n')
      .filter(Boolean);
    if (services.length === 0) return '[]';
    const listed = await this.bulk(['service', 'ps', '--quiet', '--no-trunc', ...services], options);
    const ids = [...new Set(listed.stdout.split('\n').filter(Boolean))];
    if (ids.length === 0) return '[]';
    // A task can vanish between the two calls: inspect then prints the others and exits 1.
    const r = await this.bulk(['inspect', '--type', 'task', ...ids], { ...options, check: false });
    if (!r.stdout.trim().startsWith('[')) await this.run(['inspect', '--type', 'task', ...ids], options);
    return r.stdout;
  }

  private bulk(args: string[], options: ExecOptions = {}) {
    return this.host.sudoBulk(['docker', ...args], { timeoutMs: 120_000, ...options });
  }

  /** Every service with its running and desired replica counts. */
  async services(): Promise<SwarmService[]> {
    return parseServiceList((await this.run(['service', 'ls', '--format', SERVICE_LIST_FORMAT])).stdout);
  }
}

const sameRef = (a: ObjectRef, b: ObjectRef): boolean => a.source === b.source && a.target === b.target;
const hostPort = (p: { target: number; published: number }): string =>
  `mode=host,target=${p.target},published=${p.published}`;
const bindMount = (b: ObjectRef): string => `type=bind,source=${b.source},target=${b.target}`;
const rollingArgs = (def: ServiceDefinition): string[] => [
  '--update-parallelism',
  String(def.rolling.parallelism),
  '--update-order',
  def.rolling.order,
  '--update-failure-action',
  'rollback',
  '--rollback-parallelism',
  String(def.rolling.parallelism),
  '--rollback-order',
  def.rolling.order,
];

interface RawService {
  ID: string;
  Spec: {
    Name: string;
    Mode?: { Global?: unknown; Replicated?: unknown };
    TaskTemplate?: {
      ContainerSpec?: {
        Image?: string;
        Configs?: { ConfigName: string; File?: { Name?: string } }[];
        Secrets?: { SecretName: string; File?: { Name?: string } }[];
        Mounts?: { Type?: string; Source?: string; Target?: string }[];
        Hosts?: string[];
      };
      Placement?: { Constraints?: string[] };
    };
    EndpointSpec?: { Ports?: { TargetPort?: number; PublishedPort?: number; PublishMode?: string }[] };
  };
}

/** Parses `docker service inspect` of one service into the parts eectl defines. */
export function parseServiceInspect(json: string): ServiceState {
  const [raw] = JSON.parse(json) as RawService[];
  if (!raw) throw new Error('service inspect printed no service');
  const container = raw.Spec.TaskTemplate?.ContainerSpec ?? {};
  return {
    id: raw.ID,
    name: raw.Spec.Name,
    mode: raw.Spec.Mode?.Global !== undefined ? 'global' : 'replicated',
    // The swarm may pin the image to a digest (image@sha256:…): the name as given is what eectl compares.
    image: (container.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
    constraints: raw.Spec.TaskTemplate?.Placement?.Constraints ?? [],
    hostPorts: (raw.Spec.EndpointSpec?.Ports ?? [])
      .filter((p) => p.PublishMode === 'host')
      .map((p) => ({ target: p.TargetPort ?? 0, published: p.PublishedPort ?? 0 })),
    configs: (container.Configs ?? []).map((c) => ({ source: c.ConfigName, target: c.File?.Name ?? '' })),
    secrets: (container.Secrets ?? []).map((c) => ({ source: c.SecretName, target: c.File?.Name ?? '' })),
    binds: (container.Mounts ?? [])
      .filter((m) => m.Type === 'bind')
      .map((m) => ({ source: m.Source ?? '', target: m.Target ?? '' })),
    // The swarm keeps `--host NAME:ADDRESS` as an /etc/hosts line, `ADDRESS NAME`.
    extraHosts: (container.Hosts ?? []).flatMap((line) => {
      const [address, name] = line.trim().split(/\s+/);
      return address && name ? [`${name}:${address}`] : [];
    }),
  };
}

/** The `service update` arguments that bring `current` to `def` (removals before additions, as the CLI applies them). */
export function serviceUpdateArgs(def: ServiceDefinition, current: ServiceState): string[] {
  const args = ['service', 'update', '--detach=false', '--quiet', '--no-resolve-image'];
  args.push('--image', def.image, ...rollingArgs(def));
  const diff = <T extends ObjectRef>(want: T[], have: T[]) => ({
    remove: have.filter((h) => !want.some((w) => sameRef(w, h))),
    add: want.filter((w) => !have.some((h) => sameRef(w, h))),
  });
  const configs = diff(def.configs, current.configs);
  for (const c of configs.remove) args.push('--config-rm', c.source);
  for (const c of configs.add) args.push('--config-add', `source=${c.source},target=${c.target}`);
  const secrets = diff(def.secrets, current.secrets);
  for (const s of secrets.remove) args.push('--secret-rm', s.source);
  for (const s of secrets.add) args.push('--secret-add', `source=${s.source},target=${s.target}`);
  const wanted = [...def.binds, ...(def.readOnlyBinds ?? []).map((b) => ({ ...b, readOnly: true }))];
  const binds = diff<ObjectRef & { readOnly?: boolean }>(wanted, current.binds);
  for (const b of binds.remove) args.push('--mount-rm', b.target);
  for (const b of binds.add) args.push('--mount-add', `${bindMount(b)}${b.readOnly ? ',readonly' : ''}`);
  const hosts = diff(
    (def.extraHosts ?? []).map((h) => ({ source: h, target: '' })),
    (current.extraHosts ?? []).map((h) => ({ source: h, target: '' })),
  );
  for (const h of hosts.remove) args.push('--host-rm', h.source);
  for (const h of hosts.add) args.push('--host-add', h.source);
  const portKey = (p: { target: number; published: number }) => hostPort(p);
  const wantPorts = def.hostPorts.map(portKey);
  const havePorts = current.hostPorts.map(portKey);
  if (wantPorts.join() !== havePorts.join()) {
    // The long form: a bare target port matches only ingress-mode ports (docker/cli equalPublishMode),
    // so `--publish-rm 5443` left a host-mode port in place.
    for (const p of current.hostPorts) args.push('--publish-rm', `mode=host,target=${p.target}`);
    for (const p of wantPorts) args.push('--publish-add', p);
  }
  return [...args, def.name];
}
