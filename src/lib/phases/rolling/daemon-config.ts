import { EectlError, ExitCode } from '../../errors.js';
import type { Host } from '../../host/host.js';

/**
 * daemon.json keys that dockerd knows (Linux, engines 20.10 to 27): an engine refuses to start on any
 * other key, which in a rolling change would stop every engine it reaches. Checked where the engine
 * cannot validate a file itself (`dockerd --validate` came with 23.0).
 */
export const DAEMON_KEYS = new Set([
  'allow-nondistributable-artifacts',
  'api-cors-header',
  'authorization-plugins',
  'bip',
  'bip6',
  'bridge',
  'builder',
  'cdi-spec-dirs',
  'cgroup-parent',
  'cluster-advertise',
  'cluster-store',
  'cluster-store-opts',
  'containerd',
  'containerd-namespace',
  'containerd-plugins-namespace',
  'cpu-rt-period',
  'cpu-rt-runtime',
  'data-root',
  'debug',
  'default-address-pools',
  'default-cgroupns-mode',
  'default-gateway',
  'default-gateway-v6',
  'default-ipc-mode',
  'default-network-opts',
  'default-runtime',
  'default-shm-size',
  'default-ulimits',
  'dns',
  'dns-opts',
  'dns-search',
  'exec-opts',
  'exec-root',
  'experimental',
  'features',
  'fixed-cidr',
  'fixed-cidr-v6',
  'group',
  'host-gateway-ip',
  'hosts',
  'http-proxy',
  'https-proxy',
  'icc',
  'init',
  'init-path',
  'insecure-registries',
  'ip',
  'ip-forward',
  'ip-masq',
  'ip6tables',
  'iptables',
  'ipv6',
  'labels',
  'live-restore',
  'log-driver',
  'log-format',
  'log-level',
  'log-opts',
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'max-download-attempts',
  'metrics-addr',
  'min-api-version',
  'mtu',
  'no-new-privileges',
  'no-proxy',
  'node-generic-resources',
  'oom-score-adjust',
  'pidfile',
  'proxies',
  'raw-logs',
  'registry-mirrors',
  'runtimes',
  'seccomp-profile',
  'selinux-enabled',
  'shutdown-timeout',
  'storage-driver',
  'storage-opts',
  'swarm-default-advertise-addr',
  'tls',
  'tlscacert',
  'tlscert',
  'tlskey',
  'tlsverify',
  'userland-proxy',
  'userland-proxy-path',
  'userns-remap',
]);

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];
const BOOLEAN_KEYS = [
  'debug',
  'experimental',
  'icc',
  'ip-forward',
  'ip-masq',
  'ip6tables',
  'iptables',
  'ipv6',
  'live-restore',
  'no-new-privileges',
  'raw-logs',
  'selinux-enabled',
  'tls',
  'tlsverify',
  'userland-proxy',
];
const POSITIVE_KEYS = [
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'max-download-attempts',
  'mtu',
  'shutdown-timeout',
];

/** What is wrong with a daemon.json text, by the parse and the known keys and values; empty when nothing. */
export function daemonConfigProblems(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [`not valid JSON (${(error as Error).message})`];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ['not a JSON object'];
  const config = parsed as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!DAEMON_KEYS.has(key)) problems.push(`unknown option "${key}"`);
    else if (BOOLEAN_KEYS.includes(key) && typeof value !== 'boolean')
      problems.push(`"${key}" must be true or false`);
    else if (POSITIVE_KEYS.includes(key) && !(Number.isInteger(value) && (value as number) >= 0))
      problems.push(`"${key}" must be a whole number of at least 0`);
    else if (key === 'log-level' && !LOG_LEVELS.includes(String(value)))
      problems.push(`"log-level" must be one of ${LOG_LEVELS.join(', ')} (not "${String(value)}")`);
    else if (['log-opts', 'storage-opts-map'].includes(key) && !stringMap(value))
      problems.push(`"${key}" values must all be strings (write "3", not 3)`);
  }
  return problems;
}

const stringMap = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/**
 * Checks a daemon.json on the host before any engine reads it: `dockerd --validate` (23.0 and later)
 * reading the text from stdin, so nothing is written; the local parse and known-keys check where dockerd
 * has no --validate. Throws exit 3 with the daemon's own words.
 */
export async function validateDaemonConfig(host: Host, text: string): Promise<void> {
  const local = daemonConfigProblems(text);
  if (local.length > 0) throw invalidDaemonConfig(host, local.join('; '));
  const r = await host.sudo(
    [
      'sh',
      '-c',
      'command -v dockerd >/dev/null || exit 127; exec dockerd --validate --config-file /dev/stdin',
    ],
    { stdin: text, check: false, timeoutMs: 30_000 },
  );
  const said = `${r.stderr}\n${r.stdout}`.trim();
  if (r.code === 0) return;
  // No dockerd (a fresh host) or one without --validate (20.10): the local check above is all there is.
  if (r.code === 127 || /unknown flag: --validate|flag provided but not defined/i.test(said)) return;
  throw invalidDaemonConfig(host, lastLines(said));
}

function invalidDaemonConfig(host: Host, why: string): EectlError {
  return new EectlError(`${host.name}: engine.daemon would give a daemon.json the engine refuses: ${why}`, {
    code: 'EDAEMON_CONFIG',
    exitCode: ExitCode.preflight,
    host: host.name,
    suggestions: ['Fix engine.daemon in the cluster file; no engine was restarted and no file was written.'],
  });
}

/** The last lines of a daemon's output, where it says what it refused. */
export function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/** Options whose effect `docker info` reports, and where: what a restart is verified against. */
const INFO_FIELDS: Record<string, string> = {
  'log-driver': 'LoggingDriver',
  debug: 'Debug',
  'live-restore': 'LiveRestoreEnabled',
  'storage-driver': 'Driver',
  'data-root': 'DockerRootDir',
  experimental: 'ExperimentalBuild',
};

/** The `docker info` fields the wanted options must show, as field → expected value. */
export function expectedInfo(options: Record<string, unknown>): Record<string, unknown> {
  const expected: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const field = INFO_FIELDS[key];
    if (field) expected[field] = value;
  }
  return expected;
}

/** Fields of `expected` that `info` (docker info as JSON) does not show as expected, described. */
export function infoMismatches(info: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  return Object.entries(expected)
    .filter(([field, value]) => JSON.stringify(info[field]) !== JSON.stringify(value))
    .map(([field, value]) => `${field} is ${JSON.stringify(info[field])}, not ${JSON.stringify(value)}`);
}

/**
 * What a new daemon.json changes, key by key: `+ "key": value` (added), `- "key": value` (removed),
 * `~ "key": old → new` (changed), in key order. A file that is absent or not a JSON object counts as {}.
 */
export function daemonJsonDiff(before: string | undefined, after: string): string[] {
  const parse = (text: string | undefined): Record<string, unknown> => {
    if (text === undefined || text.trim() === '') return {};
    try {
      const value = JSON.parse(text) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  };
  const old = parse(before);
  const next = parse(after);
  const show = (v: unknown) => JSON.stringify(v);
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(old), ...Object.keys(next)])].sort()) {
    const name = JSON.stringify(key);
    if (!(key in old)) lines.push(`+ ${name}: ${show(next[key])}`);
    else if (!(key in next)) lines.push(`- ${name}: ${show(old[key])}`);
    else if (show(old[key]) !== show(next[key]))
      lines.push(`~ ${name}: ${show(old[key])} → ${show(next[key])}`);
  }
  return lines;
}
