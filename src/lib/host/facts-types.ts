/** What eectl knows about a host after one round trip (`facts.ts` gathers and parses it). */
export interface OsFacts {
  /** os-release ID, e.g. debian, ubuntu, rhel, rocky, almalinux, centos, fedora, sles, opensuse-leap. */
  id: string;
  /** os-release ID_LIKE words, e.g. ['rhel', 'fedora']. */
  idLike: string[];
  /** os-release VERSION_ID, e.g. "12", "22.04", "9.4". */
  versionId: string;
  /** os-release VERSION_CODENAME when present (bookworm, jammy). */
  codename: string | undefined;
  prettyName: string;
}

export type PackageManager = 'apt' | 'dnf' | 'yum' | 'zypper' | 'unknown';
export type InitSystem = 'systemd' | 'openrc' | 'sysvinit' | 'unknown';
export type SwarmState = 'inactive' | 'pending' | 'active' | 'locked' | 'error';

export interface EngineFacts {
  /** Version the running daemon reports (not the package's). */
  serverVersion: string | undefined;
  /** Version of the installed engine package, when one is installed. */
  packageVersion: string | undefined;
  /** Name of the installed engine package (docker-ce, docker.io, docker-ee). */
  packageName: string | undefined;
  running: boolean;
}

export interface SwarmFacts {
  state: SwarmState;
  nodeId: string | undefined;
  clusterId: string | undefined;
  isManager: boolean;
  /** Addresses of the managers this node knows (host:port). */
  remoteManagers: string[];
  nodeAddr: string | undefined;
  /** Managers: the swarm's root CA certificate (PEM), from `docker info` (Cluster.TLSInfo.TrustRoot). */
  caCertPem?: string;
}

export interface Facts {
  hostname: string;
  os: OsFacts;
  /** Normalised: amd64 | arm64 | … (dpkg names). */
  arch: string;
  kernel: string;
  /** Whether the kernel has IPVS (swarm's routing mesh and service VIPs need it); undefined when not asked. */
  ipvs?: 'present' | 'missing' | undefined;
  initSystem: InitSystem;
  packageManager: PackageManager;
  cpus: number;
  memoryBytes: number;
  /** Free bytes on the filesystem that holds /var/lib (where the engine keeps its data). */
  diskFreeBytes: number;
  /** Non-loopback IPv4 addresses in private ranges, first the one of the default route. */
  privateAddresses: string[];
  /** All non-loopback IPv4 addresses. */
  addresses: string[];
  /** Seconds since the epoch on the host when the facts were gathered (clock skew check). */
  time: number;
  /** Content of the readable MANAGED_FILES (path → text); a missing path means the file does not exist. */
  files: Record<string, string>;
  /** Ports something listens on, as "2377/tcp", "4789/udp". */
  listening: string[];
  /** User the connection logged in as, and whether it is root. */
  user: string;
  isRoot: boolean;
  /** `sudo -n true` works (irrelevant when isRoot). */
  sudo: boolean;
  /** curl is installed (swarm joins go through the engine API with it); undefined when not asked. */
  curl?: boolean;
  engine: EngineFacts | undefined;
  swarm: SwarmFacts | undefined;
  /** Installed engine packages (engines and their clients) and whether the package manager holds them. */
  packageHolds?: PackageHold[];
}

/** An installed engine package, and whether apt-mark / dnf versionlock / zypper addlock holds it. */
export interface PackageHold {
  name: string;
  held: boolean;
}
