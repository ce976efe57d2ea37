import { EectlError, ExitCode } from '../errors.js';
import type { ExecOptions } from '../ssh/connection.js';
import { parseNodeInspect, type SwarmNode } from '../swarm/nodes.js';
import {
  parseServiceList,
  parseTaskInspect,
  SERVICE_LIST_FORMAT,
  type SwarmService,
  type SwarmTask,
} from '../swarm/tasks.js';
import { parseSwarm } from './facts.js';
import type { SwarmFacts } from './facts-types.js';
import type { Host } from './host.js';

/** `node ps` / `service ps` arguments: full IDs of the tasks that should be running. */
const WANTED_TASKS = ['--quiet', '--no-trunc', '--filter', 'desired-state=running'];

/**
 * The Docker CLI on a host (style.md rule 2: one module owns it). Every call runs as root, because the
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.run(['version', '--format', '{{.Server.Version}}'], {
        check: false,
        timeoutMs: 15_000,
      });
      if (r.code === 0 && r.stdout.trim()) return r.stdout.trim();
      if (Date.now() > deadline) {
        throw new EectlError(`${this.host.name}: the engine does not answer after ${timeoutMs / 1000}s`, {
          code: 'EENGINE_DOWN',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: this.host.name,
          suggestions: [`Look at \`journalctl -u docker\` on ${this.host.name}, then run install again.`],
        });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** This node's own view of the swarm (state, node ID, whether it is a manager). */
  async swarmInfo(): Promise<SwarmFacts | undefined> {
    const { stdout } = await this.run(['info', '--format', '{{json .Swarm}}']);
    return parseSwarm(stdout.trim());
  }

  async joinToken(role: 'manager' | 'worker'): Promise<string> {
    const { stdout } = await this.run(['swarm', 'join-token', '--quiet', role]);
    return stdout.trim();
  }

  /** Joins the swarm; the token is passed through stdin-safe env, never on the command line. */
  async swarmJoin(options: { token: string; managerAddr: string; advertiseAddr: string }): Promise<void> {
    await this.host.sudo(
      [
        'sh',
        '-c',
        'exec docker swarm join --token "$EECTL_JOIN_TOKEN" --advertise-addr "$1" --listen-addr "$1:2377" "$2:2377"',
        'sh',
        options.advertiseAddr,
        options.managerAddr,
      ],
      { env: { EECTL_JOIN_TOKEN: options.token }, secrets: [options.token], timeoutMs: 120_000 },
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
    changes: { labels?: Record<string, string>; availability?: string; role?: string },
  ): Promise<void> {
    const args = ['node', 'update'];
    for (const [k, v] of Object.entries(changes.labels ?? {})) args.push('--label-add', `${k}=${v}`);
    if (changes.availability) args.push('--availability', changes.availability);
    if (changes.role) args.push('--role', changes.role);
    await this.run([...args, nodeId]);
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

  /** Every service with its running and desired replica counts. */
  async services(): Promise<SwarmService[]> {
    return parseServiceList((await this.run(['service', 'ls', '--format', SERVICE_LIST_FORMAT])).stdout);
  }
}
