import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { LOCK_DIR, API_DROP_IN, CERTS_D_DIR, INSTALL_RECORD_DIR } from '../../src/lib/host-layout.js';
import { ClusterFile } from '../../src/lib/config/cluster-file.js';
import type { HostSpec } from '../../src/lib/config/schema.js';
import { MANAGED_FILES } from '../../src/lib/host/facts.js';
import { EECTL_TRACES, RECORD_PROBE_SCRIPT } from '../../src/lib/host/install-record.js';
import { APT_KEYRING, APT_SOURCE_FILE } from '../../src/lib/host/os/apt.js';
import {
  PROBE_SCRIPT,
  REMOVE_FIREWALL_SCRIPT,
  REMOVE_LINKS_SCRIPT,
  REMOVE_PATHS_SCRIPT,
  SOURCE_FILES,
} from '../../src/lib/host/reset-leftovers.js';
import { CommandFailedError } from '../../src/lib/errors.js';
import { stateArgv } from '../../src/lib/files/host-state.js';
import type { ExecOptions, ExecResult, UploadOptions } from '../../src/lib/ssh/connection.js';
import { ScriptedConnection, type ScriptRule } from './scripted-connection.js';

/**
 * A small cluster of scripted Debian 12 hosts for action-level tests. Each host keeps a model of what a
 * real one has (packages, services, files, directories, its swarm node) and answers every command eectl
 * runs from that model, as a real host prints it: a command that changes the host changes the model, so
 * the next facts read what the last run left. A command no rule knows fails the test (ScriptedConnection).
 *
 * Every command lands in one journal for the whole cluster, in the order it ran, tagged `read`, `write`
 * (it changes the host), `upload`, `lock` (the cluster lock's own scripts) or `hook` (a spec.hooks
 * script, answered with success unless `failures` names it): what tests assert on.
 */

export type CommandKind = 'read' | 'write' | 'upload' | 'lock' | 'hook';
export interface JournalEntry {
  host: string;
  kind: CommandKind;
  line: string;
}

/** The engine versions Docker's bookworm repository offers in these tests (newest first, as madison lists). */
export const OFFERED = ['5:27.3.1-1~debian.12~bookworm', '5:27.2.0-1~debian.12~bookworm'];
export const PINNED = OFFERED[0]!;
const CONTAINERD = '1.7.22-1';
/** What Docker's packages pull in on a minimal Debian 12, marked automatically installed. */
const PULLED_IN: Record<string, string> = { pigz: '2.6-1', iptables: '1.8.9-2' };

interface Package {
  version: string;
  held: boolean;
  auto: boolean;
}

/** A node of the scripted swarm. */
interface FakeNode {
  id: string;
  host: FakeHost;
  role: 'manager' | 'worker';
  labels: Record<string, string>;
  availability: 'active' | 'pause' | 'drain';
}

/** A task of a replicated service, where the scheduler put it. */
interface FakeTask {
  id: string;
  serviceId: string;
  nodeId: string;
  desiredState: 'running' | 'shutdown';
  state: string;
  /** The service's ForceUpdate when the task was made. */
  forceUpdate: number;
}

/** A replicated service of the scripted swarm. */
interface FakeService {
  id: string;
  name: string;
  replicas: number;
  constraints: string[];
  /** The hostnames its constraints allow (the scripted scheduler does not read constraints); undefined: all. */
  eligible: string[] | undefined;
  forceUpdate: number;
  updateStatus: { State: string; StartedAt: string; Message?: string } | undefined;
  /** How the next forced update ends: completed (tasks spread), paused (a new task failed), or never. */
  nextUpdate: 'completes' | 'pauses' | 'hangs';
  labels: Record<string, string>;
}

/** A swarm shared by the hosts of one cluster: nodes by ID (labels, role, availability), services, tasks. */
class FakeSwarm {
  readonly id = 'qz0fq2vl9x1kw7yyb3c8d4e5f';
  readonly tokens = {
    manager: 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-manager0000000000000000',
    worker: 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-worker00000000000000000',
  };
  readonly nodes = new Map<string, FakeNode>();
  /** Replicated services, by ID, and their tasks: what a drain moves and the rolling path waits for. */
  readonly services = new Map<string, FakeService>();
  readonly tasks: FakeTask[] = [];
  private taskCount = 0;
  /** Forced updates so far: each one's UpdateStatus.StartedAt differs. */
  private updates = 0;

  /**
   * Adds a replicated service with one task on each of the named nodes (by hostname), as the scheduler
   * would have placed them. `eligible` names the nodes its `constraints` allow (the scripted scheduler
   * places by that list, not by reading the constraints).
   */
  addService(
    name: string,
    on: readonly string[],
    placement: { constraints?: string[]; eligible?: string[]; labels?: Record<string, string> } = {},
  ): FakeService {
    const id = `${name}svc00000000000000000000`.slice(0, 25);
    const service: FakeService = {
      id,
      name,
      replicas: on.length,
      constraints: placement.constraints ?? [],
      eligible: placement.eligible,
      forceUpdate: 0,
      updateStatus: undefined,
      nextUpdate: 'completes',
      labels: placement.labels ?? {},
    };
    this.services.set(id, service);
    for (const hostname of on) this.place(id, this.nodeNamed(hostname).id);
    return service;
  }

  nodeNamed(hostname: string): FakeNode {
    const node = [...this.nodes.values()].find((n) => n.host.hostname === hostname);
    if (!node) throw new Error(`no node ${hostname} in the scripted swarm`);
    return node;
  }

  /** Running tasks of a service per node hostname, in node order: `{ w1: 2, w2: 1 }`. */
  spread(name: string): Record<string, number> {
    const service = [...this.services.values()].find((s) => s.name === name)!;
    const counts: Record<string, number> = {};
    for (const t of this.tasks.filter((x) => x.serviceId === service.id && x.desiredState === 'running')) {
      const hostname = this.nodes.get(t.nodeId)!.host.hostname;
      counts[hostname] = (counts[hostname] ?? 0) + 1;
    }
    return counts;
  }

  /** Nodes the scheduler may give a task of the service: active, up, allowed by its placement. */
  private targetsFor(serviceId: string, except?: string): FakeNode[] {
    const eligible = this.services.get(serviceId)?.eligible;
    return [...this.nodes.values()].filter(
      (n) =>
        n.id !== except &&
        n.availability === 'active' &&
        n.host.nodeId === n.id &&
        n.host.engineRunning &&
        (eligible === undefined || eligible.includes(n.host.hostname)),
    );
  }

  /** The target with the fewest running tasks of the service, as swarmkit's scheduler spreads them. */
  private leastLoaded(serviceId: string, targets: FakeNode[]): FakeNode | undefined {
    const load = (n: FakeNode) => this.tasksOn(n.id).filter((t) => t.serviceId === serviceId).length;
    return [...targets].sort((a, b) => load(a) - load(b))[0];
  }

  /**
   * `docker service update --force`: the update starts at once (the scripted swarm has no delay) and,
   * as the service's `nextUpdate` says, replaces every task stop-first, one at a time, each new one on the
   * node with the fewest of them; or pauses (a new task failed); or stays updating.
   */
  forceUpdate(serviceId: string): void {
    const service = this.services.get(serviceId)!;
    service.forceUpdate++;
    const StartedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, ++this.updates)).toISOString();
    if (service.nextUpdate === 'hangs') {
      service.updateStatus = { State: 'updating', StartedAt, Message: 'update in progress' };
      return;
    }
    if (service.nextUpdate === 'pauses') {
      service.updateStatus = {
        State: 'paused',
        StartedAt,
        Message: 'update paused due to failure or early termination of task x1',
      };
      return;
    }
    for (const old of this.tasks.filter((t) => t.serviceId === serviceId && t.desiredState === 'running')) {
      old.desiredState = 'shutdown';
      old.state = 'shutdown';
      const target = this.leastLoaded(serviceId, this.targetsFor(serviceId));
      if (target) this.place(serviceId, target.id);
    }
    service.updateStatus = { State: 'completed', StartedAt, Message: 'update completed' };
  }

  /** Tasks the orchestrator wants running on a node. */
  tasksOn(nodeId: string): FakeTask[] {
    return this.tasks.filter((t) => t.nodeId === nodeId && t.desiredState === 'running');
  }

  private place(serviceId: string, nodeId: string): void {
    this.taskCount++;
    const id = `task${String(this.taskCount).padStart(21, '0')}`;
    const forceUpdate = this.services.get(serviceId)?.forceUpdate ?? 0;
    this.tasks.push({ id, serviceId, nodeId, desiredState: 'running', state: 'running', forceUpdate });
  }

  /**
   * What the scheduler does when a node stops taking tasks: each of its tasks is shut down and replaced on
   * the active, ready node its placement allows with the fewest tasks (at once: the scripted swarm has no
   * delay).
   */
  reschedule(nodeId: string): void {
    for (const task of this.tasksOn(nodeId)) {
      task.desiredState = 'shutdown';
      task.state = 'shutdown';
      const targets = this.targetsFor(task.serviceId, nodeId);
      targets.sort((a, b) => this.tasksOn(a.id).length - this.tasksOn(b.id).length);
      if (targets[0]) this.place(task.serviceId, targets[0].id);
    }
  }

  /** `docker service inspect` of services, as the engine prints it (the parts eectl reads). */
  serviceInspect(services: readonly FakeService[]): string {
    return JSON.stringify(
      services.map((s) => ({
        ID: s.id,
        Spec: {
          Name: s.name,
          Labels: s.labels,
          Mode: { Replicated: { Replicas: s.replicas } },
          TaskTemplate: {
            ContainerSpec: { Image: 'registry.example/web:1' },
            Placement: s.constraints.length > 0 ? { Constraints: s.constraints } : {},
            ForceUpdate: s.forceUpdate,
          },
          UpdateConfig: {
            Parallelism: 1,
            FailureAction: 'pause',
            Monitor: 5_000_000_000,
            MaxFailureRatio: 0,
            Order: 'stop-first',
          },
          EndpointSpec: { Mode: 'vip' },
        },
        ...(s.updateStatus && { UpdateStatus: s.updateStatus }),
      })),
    );
  }

  /** A service by what the Docker CLI takes: name, ID, or ID prefix. */
  serviceNamed(ref: string): FakeService | undefined {
    return [...this.services.values()].find((s) => s.name === ref || s.id === ref || s.id.startsWith(ref));
  }
  /** The manager that leads Raft: the first one (swarm init) until it is demoted or its engine stops. */
  leaderId: string | undefined;
  /**
   * Elections: each time the leader's engine stopped or restarted while it led, the swarm was without a
   * leader until the others' election timeout (a real swarm: 10-20 s of refused API calls).
   */
  elections = 0;

  /** A demoted leader hands leadership over (swarmkit's TransferLeadership); a stopped one forces an election. */
  leaderLeaves(nodeId: string, how: 'demoted' | 'stopped'): void {
    if (this.leaderId !== nodeId) return;
    if (how === 'stopped') this.elections++;
    const next = [...this.nodes.values()].find(
      (n) => n.id !== nodeId && n.role === 'manager' && n.host.nodeId === n.id && n.host.engineRunning,
    );
    this.leaderId = next?.id;
  }

  /**
   * How many of the next node updates the managers refuse as made against an older version of the node
   * ("update out of sequence"), as a swarm does when something else changed the node in between.
   */
  outOfSequence = 0;
}

/** What the Docker CLI prints when the swarm refuses an update against an older object version. */
export const OUT_OF_SEQUENCE =
  'Error response from daemon: rpc error: code = Unknown desc = update out of sequence\n';

/** One scripted Debian 12 host. */
export class FakeHost {
  readonly conn: ScriptedConnection;
  readonly packages = new Map<string, Package>();
  readonly active = new Set<string>();
  readonly dirs = new Set<string>(['/etc/apt/sources.list.d', '/var/lib']);
  dockerGroup = false;
  curl = false;
  /** Mode and owner of each uploaded file, as `stat -c '%a %U %u %G %g'` prints them. */
  readonly stats = new Map<string, string>();
  /** Package lists of eectl's source were fetched (apt-cache madison knows the engine). */
  lists = false;
  links: string[] = [];
  firewall: string[] = [];
  /** This host's swarm node ID, while its engine is in the swarm. */
  nodeId: string | undefined;
  /** The cluster lock's owner record, when this host holds it, and its age. */
  lockOwner: string | undefined;
  lockAge = 0;
  /** Sockets something else listens on (`ss -Hltun` lines: "tcp 0.0.0.0:2377"). */
  readonly listening: string[] = [];
  /** Commands that fail here: the test's way to break a run part-way. */
  readonly failures: RegExp[] = [];
  /** Each restart of a running engine in the swarm, with how many tasks were still wanted on its node. */
  /** Each engine restart while in the swarm: the tasks it interrupted, and whether the node led Raft then. */
  readonly restarts: { tasks: number; leader: boolean }[] = [];
  /** Told of every command this host is asked to run, before it answers: a test's hook into a run. */
  onCommand: ((entry: JournalEntry) => void) | undefined;

  constructor(
    readonly address: string,
    readonly hostname: string,
    private readonly cluster: ScriptedCluster,
  ) {
    this.conn = new JournalConnection(this, cluster.journal, this.rules());
  }

  get files(): Map<string, Buffer> {
    return this.conn.files;
  }

  private get swarm(): FakeSwarm {
    return this.cluster.swarm;
  }

  exists(path: string): boolean {
    const below = (p: string) => p === path || p.startsWith(`${path}/`);
    return [...this.files.keys()].some(below) || [...this.dirs].some(below);
  }

  /** Removes a path and everything below it, except `keep` (and what is below it). */
  remove(path: string, keep = ''): void {
    const gone = (p: string) =>
      (p === path || p.startsWith(`${path}/`)) && !(keep && (p === keep || p.startsWith(`${keep}/`)));
    for (const f of [...this.files.keys()]) if (gone(f)) this.files.delete(f);
    for (const d of [...this.dirs]) if (gone(d)) this.dirs.delete(d);
    if (keep && keep.startsWith(`${path}/`) && this.exists(keep)) this.dirs.add(path);
    if (path === '/var/lib/docker' || path === LOCK_DIR) {
      if (path === '/var/lib/docker') this.nodeId = undefined;
      else this.lockOwner = undefined;
    }
  }

  get engineInstalled(): boolean {
    return this.packages.has('docker-ce');
  }

  get engineRunning(): boolean {
    return this.engineInstalled && this.active.has('docker');
  }

  private get node() {
    return this.nodeId === undefined ? undefined : this.swarm.nodes.get(this.nodeId);
  }

  /** What `docker info --format '{{json .Swarm}}'` prints. */
  swarmJson(): string {
    const node = this.node;
    if (!node) {
      return JSON.stringify({
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      });
    }
    const managers = [...this.swarm.nodes.values()].filter((n) => n.role === 'manager');
    return JSON.stringify({
      NodeID: node.id,
      NodeAddr: this.address,
      LocalNodeState: 'active',
      ControlAvailable: node.role === 'manager',
      Error: '',
      RemoteManagers: managers.map((m) => ({ NodeID: m.id, Addr: `${m.host.address}:2377` })),
      Nodes: this.swarm.nodes.size,
      Managers: managers.length,
      ...(node.role === 'manager' && { Cluster: { ID: this.swarm.id } }),
    });
  }

  /** FACTS_SCRIPT's output on this host, as a real Debian 12 VM prints it (run as root). */
  facts(): string {
    const lines = [
      `hostname=${this.hostname}`,
      'kernel=6.1.0-26-amd64',
      'machine=x86_64',
      `time=${Math.round(Date.now() / 1000)}`,
      'user=root',
      'uid=0',
      'sudo=1',
      `curl=${this.curl ? 1 : 0}`,
      'cpus=2',
      'mem_kb=4020508',
      'disk_free_kb=28734212',
      'init=systemd',
      'pm=apt',
      `route_src=${this.address}`,
      '@@addresses',
      `eth0 ${this.address}/24`,
      ...(this.links.includes('docker0') ? ['docker0 172.17.0.1/16'] : []),
      ...(this.links.includes('docker_gwbridge') ? ['docker_gwbridge 172.18.0.1/16'] : []),
      '@@listening',
      'tcp 0.0.0.0:22',
      'tcp [::]:22',
      ...this.listening,
      // The engine listens on the swarm's ports while it runs.
      ...(this.node && this.engineRunning ? ['tcp *:7946', 'udp *:7946', 'udp 0.0.0.0:4789'] : []),
      ...(this.node?.role === 'manager' && this.engineRunning ? ['tcp *:2377'] : []),
      '@@os-release',
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      'NAME="Debian GNU/Linux"',
      'VERSION_ID="12"',
      'VERSION="12 (bookworm)"',
      'VERSION_CODENAME=bookworm',
      'ID=debian',
      'HOME_URL="https://www.debian.org/"',
      '@@packages',
      ...['docker-ce', 'docker.io', 'docker-ee'].flatMap((n) => {
        const p = this.packages.get(n);
        return p ? [`${n} ${p.version}`] : [];
      }),
      '@@holds',
      ...['docker-ce', 'docker-ce-cli'].flatMap((n) => {
        const p = this.packages.get(n);
        return p ? [`${n} ${p.held ? 'held' : 'free'}`] : [];
      }),
    ];
    if (this.engineInstalled) {
      lines.push(
        '@@engine',
        `active=${this.engineRunning ? 'active' : 'inactive'}`,
        `server=${this.engineRunning ? upstream(this.packages.get('docker-ce')!.version) : ''}`,
        `swarm=${this.engineRunning ? this.swarmJson() : ''}`,
      );
    }
    const globs = MANAGED_FILES.map(
      (f) => new RegExp(`^${f.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`),
    );
    for (const glob of globs) {
      for (const [path, content] of [...this.files].sort()) {
        if (glob.test(path)) lines.push(`@@file ${path}`, content.toString('base64'));
      }
    }
    lines.push('@@end');
    return `${lines.join('\n')}\n`;
  }

  /** RECORD_PROBE_SCRIPT's output. */
  private recordProbe(record: string): string {
    const out: string[] = [];
    const text = this.files.get(record);
    if (text) out.push(`record ${text.toString('base64')}`);
    for (const p of EECTL_TRACES) if (this.exists(p)) out.push(`trace ${p}`);
    for (const name of this.entries(INSTALL_RECORD_DIR)) {
      if (name !== 'lock' && name !== 'registry') out.push(`trace ${INSTALL_RECORD_DIR}/${name}`);
    }
    if (this.dockerGroup) out.push('group docker');
    const etc = this.entries('/etc/docker');
    if (etc.length > 0) out.push('etcdocker', ...etc.map((e) => `etc ${e}`));
    const daemon = this.files.get('/etc/docker/daemon.json');
    if (daemon) out.push(`daemon ${daemon.toString('base64')}`);
    out.push(...this.entries(CERTS_D_DIR).map((e) => `certsd ${e}`));
    return out.length > 0 ? `${out.join('\n')}\n` : '';
  }

  /** Names directly below a directory. */
  private entries(dir: string): string[] {
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p.startsWith(`${dir}/`)) names.add(p.slice(dir.length + 1).split('/')[0]!);
    }
    return [...names].sort();
  }

  /** The reset's PROBE_SCRIPT output: what is there of the candidate paths, sources, links, firewall, group. */
  private resetProbe(keep: string, candidates: readonly string[]): string {
    const out: string[] = [];
    for (const p of candidates) {
      const others = [...this.files.keys(), ...this.dirs].filter(
        (x) =>
          (x === p || x.startsWith(`${p}/`)) &&
          !(keep && (x === keep || x.startsWith(`${keep}/`) || keep.startsWith(`${x}/`))),
      );
      if (others.length > 0) out.push(`path ${p}`);
    }
    const dropInDir = API_DROP_IN.slice(0, API_DROP_IN.lastIndexOf('/'));
    const inDropIn = this.entries(dropInDir);
    if (this.exists(dropInDir) && inDropIn.every((e) => `${dropInDir}/${e}` === API_DROP_IN))
      out.push(`path ${dropInDir}`);
    else if (this.exists(API_DROP_IN)) out.push(`path ${API_DROP_IN}`);
    for (const f of SOURCE_FILES) if (this.exists(f)) out.push(`source ${f}`);
    out.push(...[...this.links].sort().map((l) => `link ${l}`));
    out.push(...this.firewall.map((f) => `firewall ${f}`));
    if (this.dockerGroup) out.push('group docker');
    return out.length > 0 ? `${out.join('\n')}\n` : '';
  }

  private nodeInspect(ids: readonly string[]): string {
    return JSON.stringify(
      ids.map((id) => {
        const n = this.swarm.nodes.get(id)!;
        const up = n.host.nodeId === id && n.host.engineRunning;
        return {
          ID: id,
          Spec: { Labels: n.labels, Role: n.role, Availability: n.availability },
          Description: {
            Hostname: n.host.hostname,
            Platform: { Architecture: 'x86_64', OS: 'linux' },
            Engine: { EngineVersion: upstream(n.host.packages.get('docker-ce')?.version ?? '') },
          },
          Status: { State: up ? 'ready' : 'down', Addr: n.host.address },
          ...(n.role === 'manager' && {
            ManagerStatus: {
              Leader: n.id === this.swarm.leaderId,
              Reachability: up ? 'reachable' : 'unreachable',
              Addr: `${n.host.address}:2377`,
            },
          }),
        };
      }),
    );
  }

  private join(body: {
    JoinToken: string;
    RemoteAddrs: string[];
    AdvertiseAddr: string;
  }): Partial<ExecResult> {
    if (!this.curl) return { code: 127, stderr: 'sh: 1: curl: not found\n' };
    if (!this.engineRunning) return { code: 7, stderr: "curl: (7) Couldn't connect to server\n" };
    // As the engine answers: a node in a swarm joins no other (and not this one again).
    if (this.node) {
      return {
        stdout:
          '{"message":"This node is already part of a swarm. Use \\"docker swarm leave\\" to leave this swarm and join another one."}\n503\n',
      };
    }
    const contact = this.cluster.hosts.find((h) => body.RemoteAddrs.includes(`${h.address}:2377`));
    const role =
      body.JoinToken === this.swarm.tokens.manager
        ? 'manager'
        : body.JoinToken === this.swarm.tokens.worker
          ? 'worker'
          : undefined;
    if (!contact?.node || contact.node.role !== 'manager' || !role) {
      return { stdout: '{"message":"rpc error: code = Unavailable"}\n503\n' };
    }
    this.nodeId = `${this.hostname}n0de1d000000000000000`.slice(0, 25);
    this.swarm.nodes.set(this.nodeId, {
      id: this.nodeId,
      host: this,
      role,
      labels: {},
      availability: 'active',
    });
    this.links.push('docker_gwbridge');
    return { stdout: '\n200\n' };
  }

  /** Installs packages as apt does: the engine, its CLI and containerd, what they pull in, and starts it. */
  private aptInstall(args: readonly string[]): Partial<ExecResult> {
    const wanted = args.filter(
      (a) => !a.startsWith('-') && a !== 'install' && a !== 'Dpkg::Options::=--force-confold',
    );
    if (wanted.includes('curl')) {
      this.curl = true;
      return { stdout: 'Setting up curl (7.88.1-10+deb12u7) ...\n' };
    }
    for (const w of wanted) {
      const [name, version] = w.split('=');
      if (name === 'docker-ce' || name === 'docker-ce-cli') {
        if (!this.lists || !OFFERED.includes(version ?? PINNED)) {
          return { code: 100, stderr: `E: Version '${version}' for '${name}' was not found\n` };
        }
      }
    }
    const version = wanted.find((w) => w.startsWith('docker-ce='))?.split('=')[1] ?? PINNED;
    const cli = wanted.find((w) => w.startsWith('docker-ce-cli='))?.split('=')[1] ?? OFFERED[0]!;
    const keep = (n: string) => this.packages.get(n)?.held ?? false;
    this.packages.set('docker-ce', { version, held: keep('docker-ce'), auto: false });
    this.packages.set('docker-ce-cli', {
      version: cli,
      held: keep('docker-ce-cli'),
      auto: !wanted.some((w) => w.startsWith('docker-ce-cli')),
    });
    this.packages.set('containerd.io', { version: CONTAINERD, held: false, auto: false });
    for (const [n, v] of Object.entries(PULLED_IN))
      if (!this.packages.has(n)) this.packages.set(n, { version: v, held: false, auto: true });
    // Debian's postinst enables and starts the engine.
    this.start();
    return { stdout: `Setting up docker-ce (${version}) ...\n` };
  }

  private start(): void {
    for (const s of ['containerd', 'docker.socket', 'docker']) this.active.add(s);
    for (const d of [
      '/var/lib/docker',
      '/var/lib/containerd',
      '/etc/docker',
      '/run/docker',
      '/run/containerd',
      '/run/docker.sock',
    ])
      this.dirs.add(d);
    this.dockerGroup = true;
    if (!this.links.includes('docker0')) this.links.push('docker0');
    this.firewall = [
      'iptables -t filter -F DOCKER',
      'iptables -t filter -D FORWARD -j DOCKER-USER',
      'iptables -t filter -X DOCKER',
    ];
  }

  private purge(names: readonly string[]): Partial<ExecResult> {
    for (const n of names) this.packages.delete(n);
    for (const s of ['docker', 'docker.socket', 'containerd']) this.active.delete(s);
    return { stdout: names.map((n) => `Purging configuration files for ${n} ...`).join('\n') + '\n' };
  }

  private rules(): (ScriptRule & { kind: CommandKind })[] {
    const line = (argv: readonly string[]) => argv.join(' ');
    const is = (re: RegExp) => (argv: readonly string[]) => re.test(line(argv));
    const script = (s: string) => (argv: readonly string[]) =>
      argv[0] === 'sh' && argv[1] === '-c' && argv[2] === s;
    const has = (text: string) => (argv: readonly string[]) =>
      argv[0] === 'sh' && argv[1] === '-c' && argv[2]!.includes(text);
    const ok = (stdout = ''): Partial<ExecResult> => ({ stdout });
    const docker = (args: string) => is(new RegExp(`^docker ${args}`));
    const engineDown: Partial<ExecResult> = {
      code: 1,
      stderr:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    };
    const needEngine =
      (work: (argv: readonly string[], o: ExecOptions) => Partial<ExecResult>) =>
      (argv: readonly string[], o: ExecOptions) => (this.engineRunning ? work(argv, o) : engineDown);
    const manager = () => {
      const n = this.node;
      return n?.role === 'manager' ? n : undefined;
    };
    const notManager: Partial<ExecResult> = {
      code: 1,
      stderr: 'Error response from daemon: This node is not a swarm manager.\n',
    };
    return [
      // The cluster lock (cluster/lock.ts), answering as its scripts do.
      {
        kind: 'lock',
        match: has('echo acquired'),
        answer: (argv) => {
          this.dirs.add('/var/lib/eectl');
          if (this.lockOwner !== undefined) return ok(`held ${this.lockAge} ${this.lockOwner}\n`);
          this.lockOwner = argv[5];
          this.dirs.add(LOCK_DIR);
          return ok('acquired\n');
        },
      },
      {
        kind: 'lock',
        match: has('rm -rf "$d"'),
        answer: (argv) => {
          if (argv[5] !== this.lockOwner) return ok('not-owner\n');
          this.remove(LOCK_DIR);
          return ok('ok\n');
        },
      },
      {
        kind: 'lock',
        match: has('touch "$d/owner"'),
        // The heartbeat: only the holder's own record may refresh it.
        answer: (argv) => ok(argv[5] === this.lockOwner ? 'ok\n' : 'not-owner\n'),
      },
      {
        kind: 'lock',
        match: is(/^rmdir \/var\/lib\/eectl$/),
        answer: () => {
          if (this.entries('/var/lib/eectl').length > 0)
            return { code: 1, stderr: "rmdir: failed to remove '/var/lib/eectl': Directory not empty\n" };
          this.dirs.delete('/var/lib/eectl');
          return ok();
        },
      },
      // Reads.
      { kind: 'read', match: (argv) => line(argv) === 'sh -s', answer: () => ok(this.facts()) },
      {
        kind: 'read',
        match: has('/dev/tcp/'),
        answer: (argv) =>
          ok(
            argv
              .slice(4)
              .map((a) => {
                const peer = this.cluster.hosts.find((h) => h.address === a);
                return `${a} ${peer?.node?.role === 'manager' && peer.engineRunning ? 'open' : 'refused'}\n`;
              })
              .join(''),
          ),
      },
      // dockerd --validate reading the new daemon.json from stdin (the engine's own check; writes nothing).
      {
        kind: 'read',
        match: script(
          'command -v dockerd >/dev/null || exit 127; exec dockerd --validate --config-file /dev/stdin',
        ),
        answer: () => (this.packages.has('docker-ce') ? ok('configuration OK\n') : { code: 127 }),
      },
      { kind: 'read', match: script(RECORD_PROBE_SCRIPT), answer: (argv) => ok(this.recordProbe(argv[4]!)) },
      {
        kind: 'read',
        match: script(PROBE_SCRIPT),
        answer: (argv) => ok(this.resetProbe(argv[4]!, argv.slice(5))),
      },
      {
        kind: 'read',
        match: is(/^dpkg-query -W -f /),
        answer: (argv) => {
          const found = argv.slice(4).flatMap((n) => {
            const p = this.packages.get(n);
            return p ? [`${n}\t${p.held ? 'hi ' : 'ii '}\t${p.version}\n`] : [];
          });
          const missing = argv.slice(4).filter((n) => !this.packages.has(n));
          return {
            code: missing.length > 0 ? 1 : 0,
            stdout: found.join(''),
            stderr: missing.map((n) => `dpkg-query: no packages found matching ${n}\n`).join(''),
          };
        },
      },
      {
        kind: 'read',
        match: is(/^apt-cache madison /),
        answer: (argv) =>
          ok(
            this.lists
              ? argv
                  .slice(2)
                  .flatMap((n) =>
                    OFFERED.map(
                      (v) =>
                        ` ${n} | ${v} | https://download.docker.com/linux/debian bookworm/stable amd64 Packages\n`,
                    ),
                  )
                  .join('')
              : '',
          ),
      },
      {
        kind: 'read',
        match: is(/^env LC_ALL=C apt-get -s /),
        answer: (argv) => {
          if (argv[4] === 'autoremove')
            return ok('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
          const named = argv.slice(6);
          const auto = [...this.packages].filter(([, p]) => p.auto).map(([n]) => n);
          return ok(
            [...named, ...auto.filter((n) => !named.includes(n))]
              .map((n) => `Purg ${n} [${this.packages.get(n)?.version ?? ''}]\n`)
              .join(''),
          );
        },
      },
      {
        kind: 'read',
        match: is(/^systemctl is-active /),
        answer: (argv) => (this.active.has(argv[2]!) ? ok('active\n') : { code: 3, stdout: 'inactive\n' }),
      },
      {
        kind: 'read',
        match: docker('version --format'),
        answer: needEngine(() => ok(`${upstream(this.packages.get('docker-ce')!.version)}\n`)),
      },
      {
        kind: 'read',
        match: docker('info --format \\{\\{json .Swarm\\}\\}'),
        answer: needEngine(() => ok(`${this.swarmJson()}\n`)),
      },
      {
        kind: 'read',
        match: docker('swarm join-token --quiet'),
        answer: needEngine((argv) =>
          manager() ? ok(`${this.swarm.tokens[argv[4] as 'manager' | 'worker']}\n`) : notManager,
        ),
      },
      {
        kind: 'read',
        match: docker('node ls --quiet'),
        answer: needEngine(() =>
          manager() ? ok([...this.swarm.nodes.keys()].map((id) => `${id}\n`).join('')) : notManager,
        ),
      },
      {
        kind: 'read',
        match: docker('node inspect'),
        answer: needEngine((argv) => (manager() ? ok(this.nodeInspect(argv.slice(3))) : notManager)),
      },
      {
        kind: 'read',
        match: docker('info --format \\{\\{\\.Swarm\\.Cluster\\.ID\\}\\} '),
        answer: needEngine(() => (manager() ? ok(`${this.swarm.id} false\n`) : ok(' \n'))),
      },
      {
        kind: 'read',
        match: docker('node ps --quiet --no-trunc --filter desired-state=running '),
        answer: needEngine((argv) =>
          manager()
            ? ok(
                this.swarm
                  .tasksOn(argv.at(-1)!)
                  .map((t) => `${t.id}\n`)
                  .join(''),
              )
            : notManager,
        ),
      },
      {
        kind: 'read',
        match: docker('service ps --quiet --no-trunc --filter desired-state=running '),
        answer: needEngine((argv) => {
          if (!manager()) return notManager;
          const ids = argv.slice(7);
          const tasks = this.swarm.tasks.filter(
            (t) => ids.includes(t.serviceId) && t.desiredState === 'running',
          );
          return ok(tasks.map((t) => `${t.id}\n`).join(''));
        }),
      },
      {
        kind: 'read',
        match: docker('inspect --type task '),
        answer: needEngine((argv) =>
          ok(
            JSON.stringify(
              this.swarm.tasks
                .filter((t) => argv.slice(4).includes(t.id))
                .map((t) => ({
                  ID: t.id,
                  ServiceID: t.serviceId,
                  NodeID: t.nodeId,
                  DesiredState: t.desiredState,
                  Status: { State: t.state },
                  Spec: { ForceUpdate: t.forceUpdate },
                })),
            ),
          ),
        ),
      },
      {
        kind: 'read',
        match: docker('service ls --quiet$'),
        answer: needEngine(() =>
          manager()
            ? ok([...this.swarm.services.values()].map((s) => `${s.id.slice(0, 12)}\n`).join(''))
            : notManager,
        ),
      },
      {
        kind: 'read',
        match: docker('service inspect '),
        answer: needEngine((argv) => {
          if (!manager()) return notManager;
          const refs = argv.slice(3);
          const found = refs.flatMap((r) => this.swarm.serviceNamed(r) ?? []);
          const missing = refs.filter((r) => !this.swarm.serviceNamed(r));
          return {
            code: missing.length > 0 ? 1 : 0,
            stdout: `${this.swarm.serviceInspect(found)}\n`,
            stderr: missing.map((r) => `Error: no such service: ${r}\n`).join(''),
          };
        }),
      },
      {
        kind: 'read',
        match: docker('service ls --format '),
        answer: needEngine(() => {
          if (!manager()) return notManager;
          return ok(
            [...this.swarm.services.values()]
              .map((svc) => {
                const running = this.swarm.tasks.filter(
                  (t) => t.serviceId === svc.id && t.desiredState === 'running',
                ).length;
                return `${svc.id.slice(0, 12)}\t${svc.name}\treplicated\t${running}/${svc.replicas}\n`;
              })
              .join(''),
          );
        }),
      },
      {
        // validateDaemonConfig: `dockerd --validate` reading the new daemon.json on stdin (engines >= 23).
        kind: 'read',
        match: is(/^sh -c command -v dockerd >\/dev\/null \|\| exit 127; exec dockerd --validate /),
        answer: () => ok('configuration OK\n'),
      },
      // Writes.
      {
        kind: 'write',
        match: is(/^env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update/),
        answer: () => {
          if (this.exists(APT_SOURCE_FILE) && this.exists(APT_KEYRING)) this.lists = true;
          return ok('Reading package lists...\n');
        },
      },
      {
        kind: 'write',
        match: is(/^env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install /),
        answer: (argv) => this.aptInstall(argv.slice(6)),
      },
      {
        kind: 'write',
        match: is(/^env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge /),
        answer: (argv) => this.purge(argv.slice(8)),
      },
      {
        kind: 'write',
        match: is(/^install (-m 0755 -d|-d -m 0755) /),
        answer: (argv) => {
          for (const d of argv.slice(4)) this.dirs.add(d);
          return ok();
        },
      },
      {
        kind: 'write',
        match: is(/^curl -fsSL /),
        answer: (argv) => {
          if (!this.curl) return { code: 127, stderr: 'sh: 1: curl: not found\n' };
          this.files.set(argv[5]!, Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----\n…\n'));
          return ok();
        },
      },
      { kind: 'write', match: is(/^chmod /), answer: ok() },
      {
        kind: 'write',
        match: is(/^mkdir -p \/etc\/docker$/),
        answer: () => {
          this.dirs.add('/etc/docker');
          return ok();
        },
      },
      // The files of `files:` (files/host-state.ts): mode and owner as uploaded, its directory as named.
      {
        kind: 'read',
        match: script(stateArgv([], [])[2]!),
        answer: (argv) => {
          const rest = argv.slice(4);
          const split = rest.indexOf('--');
          const lines = rest.slice(0, split).map((p) => {
            const content = this.files.get(p);
            const dir = posix.dirname(p);
            if (content === undefined) return `missing\t-\t-\t${dir}\n`;
            const sum = createHash('sha256').update(content).digest('hex');
            return `file\t${sum}\t${this.stats.get(p) ?? '644 root 0 root 0'}\t${dir}\n`;
          });
          const known = (n: string) =>
            n === 'u:root' || n === 'g:root' || (n === 'g:docker' && this.dockerGroup);
          const owners = rest.slice(split + 1).map((n) => `owner\t${n}\t${known(n) ? 'yes' : 'no'}\n`);
          return ok([...lines, ...owners].join(''));
        },
      },
      {
        kind: 'write',
        match: is(/^mkdir -p -- \//),
        answer: (argv) => {
          this.dirs.add(argv[3]!);
          return ok();
        },
      },
      // A rolling turn keeps the previous daemon.json before it writes the new one (rolling/roll.ts).
      {
        kind: 'write',
        match: script('if [ -f "$1" ]; then cp -p "$1" "$2"; else rm -f "$2"; fi'),
        answer: (argv) => {
          const from = this.files.get(argv[4]!);
          if (from) this.files.set(argv[5]!, from);
          else this.files.delete(argv[5]!);
          return ok();
        },
      },
      {
        kind: 'write',
        match: is(/^apt-mark hold /),
        answer: (argv) => {
          for (const n of argv.slice(2)) this.packages.get(n)!.held = true;
          return ok(
            argv
              .slice(2)
              .map((n) => `${n} set on hold.\n`)
              .join(''),
          );
        },
      },
      {
        kind: 'write',
        match: is(/^systemctl (enable --now|start|restart) docker$/),
        answer: () => {
          if (!this.engineInstalled)
            return { code: 5, stderr: 'Failed to start docker.service: Unit docker.service not found.\n' };
          // What a restart interrupts: the tasks still wanted on this node (a drain moved them first).
          if (this.engineRunning && this.nodeId !== undefined) {
            this.restarts.push({
              tasks: this.swarm.tasksOn(this.nodeId).length,
              leader: this.swarm.leaderId === this.nodeId,
            });
            this.swarm.leaderLeaves(this.nodeId, 'stopped');
          }
          this.start();
          return ok();
        },
      },
      {
        kind: 'write',
        match: is(/^systemctl stop /),
        answer: (argv) => {
          if (argv[2] === 'docker' && this.nodeId !== undefined)
            this.swarm.leaderLeaves(this.nodeId, 'stopped');
          this.active.delete(argv[2]!);
          return ok();
        },
      },
      { kind: 'write', match: is(/^systemctl daemon-reload$/), answer: ok() },
      // The start rate counter: nothing here limits starts, so there is nothing to reset.
      { kind: 'write', match: is(/^systemctl reset-failed docker$/), answer: ok() },
      {
        kind: 'write',
        match: docker('swarm init '),
        answer: needEngine(() => {
          if (this.node)
            return { code: 1, stderr: 'Error response from daemon: This node is already part of a swarm.\n' };
          this.nodeId = `${this.hostname}n0de1d000000000000000`.slice(0, 25);
          this.swarm.leaderId = this.nodeId;
          this.swarm.nodes.set(this.nodeId, {
            id: this.nodeId,
            host: this,
            role: 'manager',
            labels: {},
            availability: 'active',
          });
          this.links.push('docker_gwbridge');
          return ok('Swarm initialized: current node is now a manager.\n');
        }),
      },
      {
        kind: 'write',
        match: is(/ http:\/\/localhost\/swarm\/join$/),
        answer: (_argv, o) =>
          this.join(
            JSON.parse(String(o.stdin)) as {
              JoinToken: string;
              RemoteAddrs: string[];
              AdvertiseAddr: string;
            },
          ),
      },
      {
        kind: 'write',
        match: docker('node update '),
        answer: needEngine((argv) => {
          if (!manager()) return notManager;
          if (this.swarm.outOfSequence > 0) {
            this.swarm.outOfSequence--;
            return { code: 1, stderr: OUT_OF_SEQUENCE };
          }
          const node = this.swarm.nodes.get(argv.at(-1)!)!;
          for (let i = 3; i < argv.length - 1; i += 2) {
            const value = argv[i + 1]!;
            if (argv[i] === '--label-add') {
              node.labels[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
            } else if (argv[i] === '--label-rm') {
              delete node.labels[value];
            } else if (argv[i] === '--availability') {
              node.availability = value as FakeNode['availability'];
              if (value === 'drain') this.swarm.reschedule(node.id);
            } else if (argv[i] === '--role') {
              if (value === 'worker') this.swarm.leaderLeaves(node.id, 'demoted');
              node.role = value as FakeNode['role'];
            }
          }
          return ok(`${node.id}\n`);
        }),
      },
      {
        kind: 'write',
        match: docker('service update --force --detach --quiet --no-resolve-image '),
        answer: needEngine((argv) => {
          if (!manager()) return notManager;
          const service = this.swarm.serviceNamed(argv.at(-1)!);
          if (!service) return { code: 1, stderr: `Error: no such service: ${argv.at(-1)}\n` };
          this.swarm.forceUpdate(service.id);
          return ok(`${service.id}\n`);
        }),
      },
      {
        kind: 'write',
        match: docker('swarm leave'),
        answer: needEngine((argv) => {
          const node = this.node;
          if (!node)
            return { code: 1, stderr: 'Error response from daemon: This node is not part of a swarm\n' };
          if (node.role === 'manager' && !argv.includes('--force'))
            return {
              code: 1,
              stderr:
                'Error response from daemon: You are attempting to leave the swarm on a node that is participating as a manager.\n',
            };
          // docker_gwbridge stays: leaving the swarm does not delete the bridge.
          this.nodeId = undefined;
          return ok('Node left the swarm.\n');
        }),
      },
      {
        kind: 'write',
        match: is(/^rm -f /),
        answer: (argv) => {
          for (const f of argv.slice(2)) this.remove(f);
          return ok();
        },
      },
      {
        kind: 'write',
        match: script(REMOVE_PATHS_SCRIPT),
        answer: (argv) => {
          for (const p of argv.slice(5)) this.remove(p, argv[4]);
          return ok();
        },
      },
      {
        kind: 'write',
        match: script(REMOVE_LINKS_SCRIPT),
        answer: () => {
          this.links = [];
          return ok();
        },
      },
      {
        kind: 'write',
        match: script(REMOVE_FIREWALL_SCRIPT),
        answer: () => {
          this.firewall = [];
          return ok();
        },
      },
      {
        kind: 'write',
        match: is(/^groupdel docker$/),
        answer: () => {
          this.dockerGroup = false;
          return ok();
        },
      },
      { kind: 'hook', match: (argv) => argv[0] === 'env' && argv.at(-1) === 'eectl-hook', answer: ok() },
    ];
  }
}

/** The upstream version of a package version: 5:27.3.1-1~debian.12~bookworm → 27.3.1. */
function upstream(version: string): string {
  return version.replace(/^\d+:/, '').replace(/-.*$/, '');
}

/** A ScriptedConnection that writes every command into the cluster's journal, and fails what the test says. */
class JournalConnection extends ScriptedConnection {
  constructor(
    private readonly host: FakeHost,
    private readonly journal: JournalEntry[],
    private readonly tagged: (ScriptRule & { kind: CommandKind })[],
  ) {
    super(host.address, tagged);
  }

  override async exec(command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const line = command.join(' ');
    const rule = this.tagged.find((r) => (r.match instanceof RegExp ? r.match.test(line) : r.match(command)));
    const entry: JournalEntry = { host: this.name, kind: rule?.kind ?? 'write', line };
    this.journal.push(entry);
    this.host.onCommand?.(entry);
    if (this.host.failures.some((f) => f.test(line))) {
      // As apt-get fails when a mirror drops the connection: exit 100.
      this.commands.push([...command]);
      const result = { code: 100, stdout: '', stderr: 'E: Failed to fetch (Connection reset by peer)\n' };
      if (options.check === false) return result;
      throw new CommandFailedError({
        host: this.name,
        command: line,
        exitCode: 100,
        outputTail: [result.stderr.trim()],
      });
    }
    return super.exec(command, options);
  }

  override async upload(
    remotePath: string,
    content: string | Buffer,
    options: UploadOptions = {},
  ): Promise<void> {
    this.journal.push({ host: this.name, kind: 'upload', line: `upload ${remotePath}` });
    // Mode and owner as stat prints them (`644 root 0 root 0`); only names are modelled, ids are 0.
    const [user = 'root', group = 'root'] = (options.owner ?? 'root:root')
      .replace(/^0:0$/, 'root:root')
      .split(':');
    this.host.stats.set(remotePath, `${(options.mode ?? 0o644).toString(8)} ${user} 0 ${group} 0`);
    await super.upload(remotePath, content);
  }
}

/** The hosts of the test cluster: three managers and a worker. */
export const HOSTS = [
  { address: '10.0.0.11', hostname: 'm1', role: 'manager' },
  { address: '10.0.0.12', hostname: 'm2', role: 'manager' },
  { address: '10.0.0.13', hostname: 'm3', role: 'manager' },
  { address: '10.0.0.21', hostname: 'w1', role: 'worker' },
] as const;

/** Scripted hosts of one cluster, their swarm, and the journal of every command they were asked to run. */
export class ScriptedCluster {
  readonly journal: JournalEntry[] = [];
  readonly swarm = new FakeSwarm();
  readonly hosts: FakeHost[];

  constructor(hosts: readonly { address: string; hostname: string }[] = HOSTS) {
    this.hosts = hosts.map((h) => new FakeHost(h.address, h.hostname, this));
  }

  host(address: string): FakeHost {
    return this.hosts.find((h) => h.address === address)!;
  }

  /** A session whose connections are the scripted hosts (one per host, as the pool keeps them). */
  session() {
    return {
      connect: async (spec: HostSpec) => {
        const host = this.hosts.find((h) => h.address === spec.address);
        if (!host) throw new Error(`no scripted host ${spec.address}`);
        return host.conn;
      },
      close: async () => {},
    };
  }

  /** What changed the hosts (commands and uploads, not the lock), as `host: line`, in the order it ran. */
  hostWork(since = 0): string[] {
    return this.journal
      .slice(since)
      .filter((e) => e.kind === 'write' || e.kind === 'upload')
      .map((e) => `${e.host}: ${e.line}`);
  }

  /** Forgets the journal (a new run starts). */
  mark(): number {
    return this.journal.length;
  }
}

/** A cluster file for the scripted hosts (only the hosts in `hosts`), read as the CLI reads it. */
export async function clusterConfig(hosts: readonly { address: string; role: string }[] = HOSTS, extra = '') {
  return (await clusterFile(hosts, extra)).config;
}

/** The cluster file itself (what upgrade edits), written to a temporary folder and read as the CLI reads it. */
export async function clusterFile(
  hosts: readonly { address: string; role: string }[] = HOSTS,
  extra = '',
): Promise<ClusterFile> {
  const yaml = [
    'apiVersion: eectl/v1',
    'kind: Cluster',
    'metadata: { name: prod }',
    'spec:',
    '  engine: { version: "27.3" }',
    '  hosts:',
    ...hosts.map((h) => `    - { address: ${h.address}, role: ${h.role} }`),
    extra,
    '',
  ].join('\n');
  const path = join(mkdtempSync(join(tmpdir(), 'eectl-scripted-')), 'cluster.yaml');
  writeFileSync(path, yaml);
  return ClusterFile.read(path, {});
}
