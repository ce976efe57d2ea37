import {
  DAEMON_JSON,
  ENGINE_PROXY_DROP_IN,
  PKI_MANAGED_FILES,
  AUTHZ_MANIFEST,
  POLICY_FILE,
  REGISTRY_LOGINS_SUM,
  REGISTRY_MANAGED_FILES,
} from '../host-layout.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Connection } from '../ssh/connection.js';
import type {
  EngineFacts,
  Facts,
  InitSystem,
  OsFacts,
  PackageManager,
  SwarmFacts,
  SwarmState,
} from './facts-types.js';
import { APT_SOURCE_FILE } from './os/apt.js';
import { YUM_REPO_FILE } from './os/dnf.js';
import { ZYPPER_REPO_FILE } from './os/zypper.js';
import { MIRROR_KEY_APT, MIRROR_KEY_RPM } from './os/source.js';
import { APT_PROXY_CONF, PACKAGE_PROXY_MARK } from './os/proxy.js';

/** Files eectl writes whose content decides whether a change is needed: read with the facts, no extra trip. */
export const MANAGED_FILES = [
  DAEMON_JSON,
  APT_SOURCE_FILE,
  YUM_REPO_FILE,
  ZYPPER_REPO_FILE,
  MIRROR_KEY_APT,
  MIRROR_KEY_RPM,
  ...PKI_MANAGED_FILES,
  POLICY_FILE,
  AUTHZ_MANIFEST,
  REGISTRY_LOGINS_SUM,
  // spec.proxy: the public halves (a login is never read back).
  ENGINE_PROXY_DROP_IN,
  APT_PROXY_CONF,
  PACKAGE_PROXY_MARK,
  // Globs (the script's unquoted loop expands them): registry trust files and loaded-bundle markers.
  ...REGISTRY_MANAGED_FILES,
];

// dpkg-query's own ${field} syntax, kept out of the template literal below.
const DPKG_FORMAT = '${db:Status-Abbrev} ${Package} ${Version}\\n';
const HOLD_FORMAT = '${db:Status-Abbrev} ${Package}\\n';
/** Engine packages and their clients whose holds the facts report. */
const HELD_PACKAGES =
  'docker-ce docker-ce-cli docker.io docker-cli docker-ee docker-ee-cli docker moby-engine';

/**
 * (printf, not echo, for command output: dash's echo turns the `\n` inside docker's JSON into newlines.)
 * One POSIX sh script that prints every fact eectl needs, so facts cost one round trip per host.
 * It runs as the login user and uses `sudo -n` itself only for the engine's socket, so it also works
 * before we know whether sudo works. Output: `key=value` lines and `@@section` blocks.
 */
export const FACTS_SCRIPT = String.raw`
export LC_ALL=C
MANAGED_FILES="${MANAGED_FILES.join(' ')}"
printf '%s\n' "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
printf '%s\n' "kernel=$(uname -r)"
if [ -d /sys/module/ip_vs ]; then echo ipvs=loaded; elif ls /lib/modules/"$(uname -r)"/kernel/net/netfilter/ipvs/ip_vs.ko* >/dev/null 2>&1; then echo ipvs=module; else echo ipvs=missing; fi
printf '%s\n' "machine=$(uname -m)"
printf '%s\n' "time=$(date +%s)"
printf '%s\n' "user=$(id -un)"
printf '%s\n' "uid=$(id -u)"
S=""
if [ "$(id -u)" = 0 ]; then echo "sudo=1"; elif sudo -n true >/dev/null 2>&1; then S="sudo -n"; echo "sudo=1"; else echo "sudo=0"; fi
if command -v curl >/dev/null 2>&1; then echo "curl=1"; else echo "curl=0"; fi
printf '%s\n' "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
printf '%s\n' "mem_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
printf '%s\n' "disk_free_kb=$(df -Pk /var/lib 2>/dev/null | awk 'NR==2{print $4}')"
if [ -d /run/systemd/system ]; then echo "init=systemd";
elif command -v openrc >/dev/null 2>&1 || command -v rc-service >/dev/null 2>&1; then echo "init=openrc";
elif [ -d /etc/init.d ]; then echo "init=sysvinit"; else echo "init=unknown"; fi
if command -v apt-get >/dev/null 2>&1; then echo "pm=apt";
elif command -v dnf >/dev/null 2>&1; then echo "pm=dnf";
elif command -v yum >/dev/null 2>&1; then echo "pm=yum";
elif command -v zypper >/dev/null 2>&1; then echo "pm=zypper"; else echo "pm=unknown"; fi
printf '%s\n' "route_src=$(ip -o -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')"
echo "@@addresses"
ip -o -4 addr show scope global 2>/dev/null | awk '{print $2, $4}'
echo "@@listening"
ss -Hltun 2>/dev/null | awk '{print $1, $5}'
echo "@@os-release"
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo "@@packages"
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f='${DPKG_FORMAT}' docker-ce docker.io docker-ee 2>/dev/null | awk 'substr($1, 2, 1) == "i" {print $2, $3}'
elif command -v rpm >/dev/null 2>&1; then
  rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE}\n' docker-ce docker docker-ee 2>/dev/null | grep -v 'not installed'
fi
echo "@@holds"
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f='${HOLD_FORMAT}' ${HELD_PACKAGES} 2>/dev/null | awk 'substr($1, 2, 1) == "i" {print $2, (substr($1, 1, 1) == "h" ? "held" : "free")}'
elif command -v rpm >/dev/null 2>&1; then
  for p in $(rpm -q --qf '%{NAME}\n' ${HELD_PACKAGES} 2>/dev/null | grep -v ' '); do
    if grep -qs "^$p-[0-9]" /etc/dnf/plugins/versionlock.list || grep -qs "^solvable_name: *$p\$" /etc/zypp/locks; then echo "$p held"; else echo "$p free"; fi
  done
fi
echo "@@engine"
if command -v docker >/dev/null 2>&1; then
  T=""; command -v timeout >/dev/null 2>&1 && T="timeout 15"
  printf '%s\n' "active=$( (systemctl is-active docker 2>/dev/null || rc-service docker status 2>/dev/null || service docker status 2>/dev/null) | head -n1)"
  # One docker CLI call, not two (each is a process start and an API call): the version, then the swarm,
  # a line each. An engine that does not answer prints nothing: both are empty.
  $T $S docker info --format '{{.ServerVersion}}{{"\n"}}{{json .Swarm}}' 2>/dev/null | {
    IFS= read -r server; IFS= read -r swarm
    printf '%s\n' "server=$server"
    printf '%s\n' "swarm=$swarm"
  }
fi
for f in $MANAGED_FILES; do
  [ -r "$f" ] && { echo "@@file $f"; base64 -w0 "$f"; echo; }
done
echo "@@end"
`;

type Sections = { vars: Map<string, string>; blocks: Map<string, string[]> };

function splitSections(stdout: string): Sections {
  const vars = new Map<string, string>();
  const blocks = new Map<string, string[]>();
  let block: string[] | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@')) {
      block = [];
      blocks.set(line.slice(2).trim(), block);
    } else if (block) {
      if (line.trim() !== '') block.push(line);
    } else {
      const eq = line.indexOf('=');
      if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
  }
  return { vars, blocks };
}

function parseOsRelease(lines: string[]): OsFacts {
  const kv = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return {
    id: (kv.get('ID') ?? 'unknown').toLowerCase(),
    idLike: (kv.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: kv.get('VERSION_ID') ?? '',
    codename: kv.get('VERSION_CODENAME') || undefined,
    prettyName: kv.get('PRETTY_NAME') ?? kv.get('NAME') ?? 'unknown',
  };
}

const ARCH: Record<string, string> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  armv7l: 'armhf',
  ppc64le: 'ppc64el',
};

/** Bridges and tunnels of container engines and CNIs: their addresses are not the host's. */
const CONTAINER_INTERFACES = /^(docker0|docker_gwbridge|br-|veth|cni|flannel|cali|tunl|vxlan|weave|kube-)/;

/** RFC 1918 ranges: the addresses a swarm should advertise on. */
export function isPrivateIPv4(address: string): boolean {
  const [a, b] = address.split('.').map(Number);
  return a === 10 || (a === 172 && b !== undefined && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** Parses `docker info --format '{{json .Swarm}}'`. */
export function parseSwarm(json: string | undefined): SwarmFacts | undefined {
  if (!json) return undefined;
  let raw: {
    NodeID?: string;
    NodeAddr?: string;
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    RemoteManagers?: { Addr?: string }[] | null;
    Cluster?: { ID?: string; TLSInfo?: { TrustRoot?: string } } | null;
  };
  try {
    raw = JSON.parse(json) as typeof raw;
  } catch {
    return undefined;
  }
  const state = (raw.LocalNodeState || 'inactive') as SwarmState;
  return {
    state,
    nodeId: raw.NodeID || undefined,
    clusterId: raw.Cluster?.ID || undefined,
    isManager: raw.ControlAvailable === true,
    remoteManagers: (raw.RemoteManagers ?? []).map((m) => m.Addr ?? '').filter(Boolean),
    nodeAddr: raw.NodeAddr || undefined,
    ...(raw.Cluster?.TLSInfo?.TrustRoot ? { caCertPem: raw.Cluster.TLSInfo.TrustRoot } : {}),
  };
}

function parseEngine(sections: Sections): EngineFacts | undefined {
  const pkg = sections.blocks.get('packages')?.[0]?.split(/\s+/);
  const engineBlock = splitSections((sections.blocks.get('engine') ?? []).join('\n')).vars;
  if (!pkg && engineBlock.size === 0) return undefined;
  const server = engineBlock.get('server') || undefined;
  return {
    serverVersion: server,
    packageName: pkg?.[0],
    packageVersion: pkg?.[1],
    running: server !== undefined || engineBlock.get('active') === 'active',
  };
}

function parseFiles(blocks: Map<string, string[]>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, lines] of blocks) {
    if (name.startsWith('file '))
      files[name.slice(5)] = Buffer.from(lines.join(''), 'base64').toString('utf8');
  }
  return files;
}

/** `ss -Hltun` lines ("tcp 0.0.0.0:22", "udp [::]:7946") → "22/tcp", "7946/udp". */
function parseListening(lines: string[]): string[] {
  const ports = new Set<string>();
  for (const line of lines) {
    const [proto, local] = line.split(/\s+/);
    const port = local?.slice(local.lastIndexOf(':') + 1);
    if (proto && port && /^\d+$/.test(port)) ports.add(`${port}/${proto}`);
  }
  return [...ports];
}

/** Parses FACTS_SCRIPT's output. Throws when the output is not from the script (e.g. a login banner ate it). */
export function parseFacts(stdout: string): Facts {
  const sections = splitSections(stdout);
  const v = sections.vars;
  if (!sections.blocks.has('end')) throw new Error('facts output is incomplete');
  const addressLines = sections.blocks.get('addresses') ?? [];
  const addresses = addressLines
    .filter((l) => !CONTAINER_INTERFACES.test(l.split(/\s+/)[0] ?? ''))
    .map((l) => l.split(/\s+/)[1]?.split('/')[0] ?? '')
    .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  const routeSrc = v.get('route_src') ?? '';
  const privateAddresses = addresses.filter(isPrivateIPv4);
  if (routeSrc && privateAddresses.includes(routeSrc)) {
    privateAddresses.splice(privateAddresses.indexOf(routeSrc), 1);
    privateAddresses.unshift(routeSrc);
  }
  const engine = parseEngine(sections);
  const swarmJson = splitSections((sections.blocks.get('engine') ?? []).join('\n')).vars.get('swarm');
  const machine = v.get('machine') ?? 'unknown';
  return {
    hostname: v.get('hostname') ?? '',
    os: parseOsRelease(sections.blocks.get('os-release') ?? []),
    arch: ARCH[machine] ?? machine,
    kernel: v.get('kernel') ?? '',
    ipvs: v.get('ipvs') === 'missing' ? 'missing' : v.has('ipvs') ? 'present' : undefined,
    initSystem: (v.get('init') ?? 'unknown') as InitSystem,
    packageManager: (v.get('pm') ?? 'unknown') as PackageManager,
    cpus: Number(v.get('cpus') ?? 0),
    memoryBytes: Number(v.get('mem_kb') ?? 0) * 1024,
    diskFreeBytes: Number(v.get('disk_free_kb') ?? 0) * 1024,
    privateAddresses,
    addresses,
    time: Number(v.get('time') ?? 0),
    user: v.get('user') ?? '',
    isRoot: v.get('uid') === '0',
    sudo: v.get('sudo') === '1',
    ...(v.has('curl') ? { curl: v.get('curl') === '1' } : {}),
    files: parseFiles(sections.blocks),
    listening: parseListening(sections.blocks.get('listening') ?? []),
    engine,
    swarm: engine ? parseSwarm(swarmJson) : undefined,
    packageHolds: (sections.blocks.get('holds') ?? []).flatMap((line) => {
      const [name, state] = line.trim().split(/\s+/);
      return name && state ? [{ name, held: state === 'held' }] : [];
    }),
  };
}

/** Gathers a host's facts in one round trip. */
export async function gatherFacts(conn: Connection, signal?: AbortSignal): Promise<Facts> {
  const result = await conn.exec(['sh', '-s'], { stdin: FACTS_SCRIPT, timeoutMs: 60_000, signal });
  try {
    return parseFacts(result.stdout);
  } catch (error) {
    throw new EectlError(`${conn.name}: could not read host facts (${(error as Error).message})`, {
      code: 'EFACTS',
      kind: 'external',
      exitCode: ExitCode.failure,
      host: conn.name,
      cause: error,
      suggestions: [
        'Check that the login shell prints nothing on non-interactive logins (~/.bashrc, /etc/profile).',
      ],
    });
  }
}
