import { randomBytes } from 'node:crypto';

/** The Debian 12 host every simulated host claims to be. */
export const OS_RELEASE = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
].join('\n');

/** What the simulated apt repository offers (`apt-cache madison`), newest first. */
export const REPO_VERSIONS = ['5:27.3.1-1~debian.12~bookworm', '5:27.2.0-1~debian.12~bookworm'];

const hex = (n) => randomBytes(n).toString('hex');
const upstream = (pkgVersion) => pkgVersion.replace(/^\d+:/, '').replace(/-.*$/, '');

/** One simulated host: files, packages, the engine, and its place in the swarm. */
export class SimHost {
  constructor({ index, sshAddress, sshPort, privateAddress }) {
    this.index = index;
    this.sshAddress = sshAddress;
    this.sshPort = sshPort;
    this.privateAddress = privateAddress;
    this.hostname = `sim-${String(index).padStart(3, '0')}`;
    /** path → { content: Buffer, mode } */
    this.files = new Map();
    this.dirs = new Set(['/', '/etc', '/etc/docker', '/etc/apt/sources.list.d', '/tmp', '/var/lib']);
    /** package → version */
    this.packages = new Map();
    /** packages apt-mark holds */
    this.holds = new Set();
    this.engine = { running: false, enabled: false, apiPort: undefined };
    /** { swarm, nodeId } while in a swarm */
    this.member = undefined;
    this.counters = { connections: 0, execs: 0, sftpSessions: 0, sftpRequests: 0 };
  }

  get engineVersion() {
    const v = this.packages.get('docker-ce');
    return v ? upstream(v) : undefined;
  }

  /** (Re)starts dockerd, which reads the API drop-in (if any) as it starts. */
  startEngine() {
    if (!this.packages.has('docker-ce')) throw new Error('dockerd: not installed');
    const dropIn = [...this.files.entries()].find(([p]) =>
      p.startsWith('/etc/systemd/system/docker.service.d/'),
    );
    const port = dropIn && /tcp:\/\/[^:\s]*:(\d+)/.exec(dropIn[1].content.toString())?.[1];
    this.engine.running = true;
    this.engine.apiPort = port ? Number(port) : undefined;
  }

  listening() {
    const ports = ['tcp 0.0.0.0:22'];
    if (!this.engine.running) return ports;
    if (this.engine.apiPort) ports.push(`tcp 0.0.0.0:${this.engine.apiPort}`);
    if (this.member) {
      ports.push('tcp *:7946', 'udp *:7946', 'udp *:4789');
      if (this.member.swarm.nodes.get(this.member.nodeId)?.role === 'manager') ports.push('tcp *:2377');
    }
    return ports;
  }
}

/** A swarm: its nodes, tokens and Raft members, as managers of it report them. */
export class SimSwarm {
  constructor() {
    this.id = hex(13);
    this.tokens = { manager: `SWMTKN-1-${hex(25)}-${hex(12)}`, worker: `SWMTKN-1-${hex(25)}-${hex(12)}` };
    /** nodeId → { host, role, availability, labels } */
    this.nodes = new Map();
  }

  add(host, role) {
    const nodeId = hex(12).slice(0, 25);
    this.nodes.set(nodeId, { host, role, availability: 'active', labels: {}, leader: this.nodes.size === 0 });
    host.member = { swarm: this, nodeId };
    return nodeId;
  }

  managers() {
    return [...this.nodes.values()].filter((n) => n.role === 'manager');
  }

  inspect(id) {
    const n = this.nodes.get(id);
    if (!n) return undefined;
    const addr = n.host.privateAddress;
    return {
      ID: id,
      Spec: { Role: n.role, Availability: n.availability, Labels: { ...n.labels } },
      Description: { Hostname: n.host.hostname, Engine: { EngineVersion: n.host.engineVersion ?? '' } },
      Status: { State: n.host.engine.running ? 'ready' : 'down', Addr: addr },
      ...(n.role === 'manager'
        ? {
            ManagerStatus: {
              Leader: n.leader,
              Reachability: n.host.engine.running ? 'reachable' : 'unreachable',
              Addr: `${addr}:2377`,
            },
          }
        : {}),
    };
  }
}

/** Every simulated host, found by SSH address or by the private address the swarm sees. */
export class SimWorld {
  constructor(hosts) {
    this.hosts = hosts;
    this.byPrivate = new Map(hosts.map((h) => [h.privateAddress, h]));
    /** Commands the simulator did not know: a benchmark run that meets one is void. */
    this.unknown = [];
  }
}
