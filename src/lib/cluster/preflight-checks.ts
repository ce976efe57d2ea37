import type { ClusterConfig, Role } from '../config/schema.js';
import type { Facts } from '../host/facts-types.js';

/** One preflight finding; errors stop the run before any change, warnings are shown. */
export interface PreflightProblem {
  host: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface HostUnderCheck {
  name: string;
  role: Role;
  facts: Facts;
  /** Local clock (seconds) when the facts were read, to measure skew against facts.time. */
  localTime: number;
  /** The configurer's verdict on the OS: undefined when supported, else the reason. */
  unsupportedOs?: string;
}

const GiB = 1024 ** 3;
export const LIMITS = {
  minMemory: 1 * GiB,
  lowMemory: 2 * GiB,
  minDisk: 2 * GiB,
  lowDisk: 10 * GiB,
  maxClockSkewS: 30,
} as const;
const ARCHES = ['amd64', 'arm64', 'armhf', 'ppc64el', 's390x'];

/** Ports a swarm node needs for itself: 2377/tcp on managers, gossip, and the VXLAN data path. */
export function requiredPorts(role: Role, dataPathPort: number): string[] {
  const ports = ['7946/tcp', '7946/udp', `${dataPathPort}/udp`];
  return role === 'manager' ? ['2377/tcp', ...ports] : ports;
}

/** TCP ports eectl's own services publish on a host of this role: the engine API, a registry replica. */
export function servicePorts(
  role: Role,
  config: ClusterConfig,
): { port: number; what: string; field: string }[] {
  if (role === 'manager') {
    return [
      { port: config.spec.controlPlane.apiPort, what: 'the engine API', field: 'controlPlane.apiPort' },
    ];
  }
  if (role === 'registry') {
    return [{ port: config.spec.registry.port, what: 'the registry replica', field: 'registry.port' }];
  }
  return [];
}

/** Every problem with every host, from facts alone (no round trip): the caller reports them all at once. */
export function checkHosts(hosts: readonly HostUnderCheck[], config: ClusterConfig): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const error = (host: string, message: string) => problems.push({ host, severity: 'error', message });
  const warn = (host: string, message: string) => problems.push({ host, severity: 'warning', message });

  const firstManager = hosts.find((h) => h.role === 'manager')?.name;
  for (const h of hosts) {
    const f = h.facts;
    if (h.unsupportedOs) error(h.name, h.unsupportedOs);
    if (!ARCHES.includes(f.arch))
      error(h.name, `architecture ${f.arch} is not supported (${ARCHES.join(', ')})`);
    if (!f.isRoot && !f.sudo) {
      error(
        h.name,
        `${f.user} is neither root nor allowed passwordless sudo: add "${f.user} ALL=(ALL) NOPASSWD:ALL" to /etc/sudoers.d/, or log in as root`,
      );
    }
    if (f.initSystem === 'unknown') error(h.name, 'no known service manager (systemd, OpenRC or SysV init)');
    if (f.memoryBytes < LIMITS.minMemory)
      error(h.name, `${gib(f.memoryBytes)} memory; at least 1 GiB is needed`);
    else if (f.memoryBytes < LIMITS.lowMemory)
      warn(h.name, `only ${gib(f.memoryBytes)} memory; 2 GiB or more is recommended`);
    if (f.diskFreeBytes < LIMITS.minDisk)
      error(h.name, `${gib(f.diskFreeBytes)} free under /var/lib; at least 2 GiB is needed`);
    else if (f.diskFreeBytes < LIMITS.lowDisk)
      warn(h.name, `only ${gib(f.diskFreeBytes)} free under /var/lib; 10 GiB or more is recommended`);
    const skew = f.time - h.localTime;
    if (Math.abs(skew) > LIMITS.maxClockSkewS) {
      error(
        h.name,
        `clock is ${Math.abs(skew)}s ${skew > 0 ? 'ahead of' : 'behind'} this machine's; swarm TLS needs synchronised clocks (enable NTP: timedatectl set-ntp true)`,
      );
    }
    // A node already in the swarm has dockerd on these ports itself.
    if (f.swarm?.state !== 'active') {
      const busy = requiredPorts(h.role, config.spec.swarm.dataPathPort).filter((p) =>
        f.listening.includes(p),
      );
      if (busy.length > 0)
        error(
          h.name,
          `port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} already in use; the swarm needs ${busy.length > 1 ? 'them' : 'it'}`,
        );
      for (const { port, what, field } of servicePorts(h.role, config)) {
        if (f.listening.includes(`${port}/tcp`)) {
          error(
            h.name,
            `port ${port}/tcp (${field}) is already in use; ${what} needs it: free it or choose another`,
          );
        }
      }
    }
    // Joins go through the engine API with curl, so the token stays off command lines; Docker's apt
    // repository setup installs curl itself.
    const installsCurl = f.packageManager === 'apt' && config.spec.engine.source === 'docker';
    if (f.curl === false && f.swarm?.state !== 'active' && !installsCurl && h.name !== firstManager) {
      error(
        h.name,
        'curl is not installed, and eectl joins the swarm through the engine API with it (so the join token never appears on a command line): install curl on it',
      );
    }
    if (f.ipvs === 'missing') {
      warn(
        h.name,
        "the kernel has no ip_vs module: Swarm's routing mesh and service VIPs do not work here; publish ports in host mode and reach services by tasks.<service> (spec.ingress does)",
      );
    }
    if (
      f.privateAddresses.length === 0 &&
      !config.spec.hosts.find((s) => s.address === h.name)?.privateAddress
    ) {
      warn(
        h.name,
        'no private address found; the swarm will advertise the SSH address (set privateAddress to choose)',
      );
    }
  }

  const byHostname = new Map<string, string[]>();
  for (const h of hosts)
    byHostname.set(h.facts.hostname, [...(byHostname.get(h.facts.hostname) ?? []), h.name]);
  for (const [hostname, names] of byHostname) {
    if (names.length > 1)
      for (const n of names)
        error(
          n,
          `hostname "${hostname}" is also used by ${names.filter((x) => x !== n).join(', ')}; swarm nodes need unique hostnames`,
        );
  }

  // Hosts already in a swarm must all be in the same one.
  const clusters = new Map<string, string[]>();
  for (const h of hosts) {
    const id = h.facts.swarm?.state === 'active' ? h.facts.swarm.clusterId : undefined;
    if (id) clusters.set(id, [...(clusters.get(id) ?? []), h.name]);
  }
  if (clusters.size > 1) {
    const [main] = [...clusters.entries()].sort((a, b) => b[1].length - a[1].length);
    for (const [id, names] of clusters) {
      if (id === main![0]) continue;
      for (const n of names)
        error(
          n,
          `is in another swarm (${id.slice(0, 12)}) than ${main![1].join(', ')}: run "docker swarm leave --force" on it, or take it out of the file`,
        );
    }
  }
  return problems;
}

const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;
