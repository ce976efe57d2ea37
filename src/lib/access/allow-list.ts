import { fold } from './json-fields.js';
import type { BodyKind } from './routes.js';

/**
 * What a user without the `unrestricted` permission (restrictedControl, or fullControl elsewhere) may
 * put in a request body: one row per field known to be safe, with the values admitted. Everything else
 * (a field not listed here, or a listed field with another value) needs `unrestricted` (fullControl on
 * the collection), and the refusal names the field. A new field of a newer engine is refused until a row
 * admits it (fail closed).
 *
 * Fields are matched as the engine's JSON decoder matches them (json-fields.ts). `null` is the same as an
 * absent field to the engine, so it is always admitted. A row marked `required` is one whose absence the
 * engine reads as something unsafe (a mount without a Type is a bind mount; a port without a
 * PublishMode is published on every node through the routing mesh).
 *
 * The tests check every row against the engine's API types for API 1.41–1.51, engines 20.10 to 28.5 (a row that names no field of
 * the engine is a typo that would admit nothing), and that each row admits something a real client sends
 * (removing any row fails a test).
 */

/** A test of a field's value, with what it admits for the refusal message. */
export interface Admit {
  test(value: unknown): boolean;
  says: string;
}

export interface AllowRow {
  /** Dotted field path as the engine's API types name it; `[]` marks an array of objects. */
  path: string;
  admit: Admit;
  /** Why the field must be there (its absence means something unsafe to the engine). */
  required?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const str: Admit = { test: (v) => typeof v === 'string', says: 'a string' };
const int: Admit = { test: (v) => Number.isInteger(v), says: 'an integer' };
const num: Admit = { test: (v) => typeof v === 'number', says: 'a number' };
const bool: Admit = { test: (v) => typeof v === 'boolean', says: 'true or false' };
const strings: Admit = {
  test: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  says: 'a list of strings',
};
const labels: Admit = {
  test: (v) => isObject(v) && Object.values(v).every((s) => typeof s === 'string'),
  says: 'a map of strings',
};
const empty: Admit = { test: (v) => isObject(v) && Object.keys(v).length === 0, says: '{}' };
/** Only the zero value Go would leave there anyway (clients send them: the docker CLI fills every field). */
const zero: Admit = {
  test: (v) =>
    v === '' ||
    v === 0 ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0),
  says: 'only its zero value ("", 0, false, [], {})',
};
const oneOf = (...values: (string | boolean)[]): Admit => ({
  test: (v) => values.includes(v as string | boolean),
  says: values.map((x) => JSON.stringify(x)).join(' or '),
});
const keysIn = (...keys: string[]): Admit => ({
  test: (v) => isObject(v) && Object.entries(v).every(([k, s]) => keys.includes(k) && typeof s === 'string'),
  says: `only the options ${keys.join(', ')}`,
});

const rows = (prefix: string, list: [string, Admit, string?][]): AllowRow[] =>
  list.map(([p, admit, required]) => ({
    path: `${prefix}${p}`,
    admit,
    ...(required !== undefined && { required }),
  }));

/** A service's mounts: named volumes of the local driver without options, and tmpfs. */
const MOUNT: [string, Admit, string?][] = [
  [
    'Type',
    oneOf('volume', 'tmpfs'),
    'the engine reads a mount without a Type as a bind mount of a host path',
  ],
  ['Source', str],
  ['Target', str],
  ['ReadOnly', bool],
  ['Consistency', str],
  ['VolumeOptions.NoCopy', bool],
  ['VolumeOptions.Labels', labels],
  ['VolumeOptions.DriverConfig.Name', oneOf('', 'local')],
  ['VolumeOptions.DriverConfig.Options', empty],
  ['TmpfsOptions.SizeBytes', int],
  ['TmpfsOptions.Mode', int],
];

const SECRET_FILE: [string, Admit][] = [
  ['File.Name', str],
  ['File.UID', str],
  ['File.GID', str],
  ['File.Mode', int],
];

const ROLLOUT: [string, Admit][] = [
  ['Parallelism', int],
  ['Delay', int],
  ['FailureAction', oneOf('continue', 'pause', 'rollback')],
  ['Monitor', int],
  ['MaxFailureRatio', num],
  ['Order', oneOf('stop-first', 'start-first')],
];

const NETWORK_ATTACHMENT: [string, Admit][] = [
  ['Target', str],
  ['Aliases', strings],
];

/** A service spec (POST /services/create, /services/{id}/update, and a rollback's PreviousSpec). */
const SERVICE: AllowRow[] = [
  ...rows('', [
    ['Name', str],
    ['Labels', labels],
  ]),
  ...rows('TaskTemplate.ContainerSpec.', [
    ['Image', str],
    ['Labels', labels],
    ['Command', strings],
    ['Args', strings],
    ['Hostname', str],
    ['Env', strings],
    ['Dir', str],
    ['User', str],
    ['Groups', strings],
    ['Privileges.Seccomp.Mode', oneOf('default')],
    ['Privileges.AppArmor.Mode', oneOf('default')],
    ['Privileges.NoNewPrivileges', bool],
    ['TTY', bool],
    ['OpenStdin', bool],
    ['ReadOnly', bool],
    ['StopSignal', str],
    ['StopGracePeriod', int],
    ['Healthcheck.Test', strings],
    ['Healthcheck.Interval', int],
    ['Healthcheck.Timeout', int],
    ['Healthcheck.Retries', int],
    ['Healthcheck.StartPeriod', int],
    ['Healthcheck.StartInterval', int],
    ['Hosts', strings],
    ['DNSConfig.Nameservers', strings],
    ['DNSConfig.Search', strings],
    ['DNSConfig.Options', strings],
    ...SECRET_FILE.map(([p, a]): [string, Admit] => [`Secrets[].${p}`, a]),
    ['Secrets[].SecretID', str],
    ['Secrets[].SecretName', str],
    ...SECRET_FILE.map(([p, a]): [string, Admit] => [`Configs[].${p}`, a]),
    ['Configs[].ConfigID', str],
    ['Configs[].ConfigName', str],
    ['Isolation', oneOf('', 'default')],
    ['Init', bool],
    ['CapabilityDrop', strings],
    ...MOUNT.map(([p, a, r]): [string, Admit, string?] => [`Mounts[].${p}`, a, r]),
  ]),
  ...rows('TaskTemplate.', [
    ['Resources.Limits.NanoCPUs', int],
    ['Resources.Limits.MemoryBytes', int],
    ['Resources.Limits.Pids', int],
    ['Resources.Reservations.NanoCPUs', int],
    ['Resources.Reservations.MemoryBytes', int],
    ['RestartPolicy.Condition', oneOf('none', 'on-failure', 'any')],
    ['RestartPolicy.Delay', int],
    ['RestartPolicy.MaxAttempts', int],
    ['RestartPolicy.Window', int],
    // Placement is also checked by the placement rule (placement.ts): constraints only narrow it.
    ['Placement.Constraints', strings],
    ['Placement.Preferences[].Spread.SpreadDescriptor', str],
    ['Placement.MaxReplicas', int],
    ['Placement.Platforms[].Architecture', str],
    ['Placement.Platforms[].OS', str],
    ['ForceUpdate', int],
    ['Runtime', oneOf('', 'container')],
    ...NETWORK_ATTACHMENT.map(([p, a]): [string, Admit] => [`Networks[].${p}`, a]),
    ['LogDriver.Name', oneOf('json-file', 'local', 'none')],
    ['LogDriver.Options', keysIn('max-size', 'max-file', 'compress', 'mode', 'max-buffer-size')],
  ]),
  ...rows('', [
    ['Mode.Replicated.Replicas', int],
    ['Mode.Global', empty],
    ['Mode.ReplicatedJob.MaxConcurrent', int],
    ['Mode.ReplicatedJob.TotalCompletions', int],
    ['Mode.GlobalJob', empty],
    ...ROLLOUT.map(([p, a]): [string, Admit] => [`UpdateConfig.${p}`, a]),
    ...ROLLOUT.map(([p, a]): [string, Admit] => [`RollbackConfig.${p}`, a]),
    ...NETWORK_ATTACHMENT.map(([p, a]): [string, Admit] => [`Networks[].${p}`, a]),
    ['EndpointSpec.Mode', oneOf('vip', 'dnsrr')],
    ['EndpointSpec.Ports[].Name', str],
    ['EndpointSpec.Ports[].Protocol', oneOf('tcp', 'udp', 'sctp')],
    ['EndpointSpec.Ports[].TargetPort', int],
    ['EndpointSpec.Ports[].PublishedPort', int],
    [
      'EndpointSpec.Ports[].PublishMode',
      oneOf('host'),
      'the engine publishes a port without PublishMode on every node, managers included (the routing mesh): use mode=host',
    ],
  ]),
];

/** The allow-list: one table per kind of body. */
export const ALLOW_LIST: Record<BodyKind, readonly AllowRow[]> = {
  service: SERVICE,
  network: rows('', [
    ['Name', str],
    ['CheckDuplicate', bool],
    [
      'Driver',
      oneOf('overlay'),
      'the engine makes a network without a Driver on the manager itself (bridge)',
    ],
    ['Scope', oneOf('', 'swarm')],
    ['Internal', bool],
    ['Attachable', bool],
    ['Ingress', oneOf(false)],
    ['ConfigOnly', oneOf(false)],
    ['IPAM.Driver', oneOf('', 'default')],
    ['IPAM.Options', empty],
    ['IPAM.Config', zero],
    ['EnableIPv6', bool],
    ['Options', keysIn('encrypted')],
    ['Labels', labels],
  ]),
  volume: rows('', [
    ['Name', str],
    ['Driver', oneOf('', 'local')],
    ['DriverOpts', empty],
    ['Labels', labels],
  ]),
  secret: rows('', [
    ['Name', str],
    ['Labels', labels],
    ['Data', str],
  ]),
  config: rows('', [
    ['Name', str],
    ['Labels', labels],
    ['Data', str],
  ]),
  'container-update': rows('', [
    ['CpuShares', int],
    ['Memory', int],
    ['NanoCpus', int],
    ['CpuPeriod', int],
    ['CpuQuota', int],
    ['CpusetCpus', str],
    ['CpusetMems', str],
    ['MemoryReservation', int],
    ['MemorySwap', int],
    ['PidsLimit', int],
    ['RestartPolicy.Name', oneOf('', 'no', 'always', 'unless-stopped', 'on-failure')],
    ['RestartPolicy.MaximumRetryCount', int],
  ]),
  endpoint: rows('', [
    ['Container', str],
    ['Force', bool],
    ['EndpointConfig.Aliases', strings],
    // The docker CLI sends every other field of the endpoint with its zero value.
    ['EndpointConfig.IPAMConfig', zero],
    ['EndpointConfig.MacAddress', zero],
    ['EndpointConfig.DriverOpts', zero],
    ['EndpointConfig.GwPriority', zero],
    ['EndpointConfig.NetworkID', zero],
    ['EndpointConfig.EndpointID', zero],
    ['EndpointConfig.Gateway', zero],
    ['EndpointConfig.IPAddress', zero],
    ['EndpointConfig.IPPrefixLen', zero],
    ['EndpointConfig.IPv6Gateway', zero],
    ['EndpointConfig.GlobalIPv6Address', zero],
    ['EndpointConfig.GlobalIPv6PrefixLen', zero],
  ]),
};

interface FieldNode {
  name: string;
  row?: AllowRow;
  /** An object's fields. */
  node?: Tree;
  /** An array's items (objects). */
  items?: Tree;
}
type Tree = Map<string, FieldNode>;

function buildTree(list: readonly AllowRow[]): Tree {
  const root: Tree = new Map();
  for (const row of list) {
    let at = root;
    const parts = row.path.split('.');
    parts.forEach((part, i) => {
      const array = part.endsWith('[]');
      const name = array ? part.slice(0, -2) : part;
      const key = fold(name);
      let f = at.get(key);
      if (!f) {
        f = { name };
        at.set(key, f);
      }
      if (i === parts.length - 1) {
        f.row = row;
        return;
      }
      if (array) at = f.items ??= new Map();
      else at = f.node ??= new Map();
    });
  }
  return root;
}

const TREES = Object.fromEntries(
  Object.entries(ALLOW_LIST).map(([kind, list]) => [kind, buildTree(list)]),
) as Record<BodyKind, Tree>;

const short = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** What a body holds beyond the allow-list (each a phrase naming the field), and the rows it used. */
export interface BodyReading {
  findings: string[];
  /** The paths of the rows that admitted a value (for the tests' coverage of the table). */
  used: Set<string>;
}

/** Reads a body against the allow-list of its kind (or against `rows`, for the tests' mutations). */
export function readBody(kind: BodyKind, body: unknown, rows?: readonly AllowRow[]): BodyReading {
  const reading: BodyReading = { findings: [], used: new Set() };
  walk(body, rows ? buildTree(rows) : TREES[kind], '', reading);
  return reading;
}

function walk(value: unknown, tree: Tree, where: string, out: BodyReading): void {
  if (!isObject(value)) {
    out.findings.push(`${where || 'the body'} is not a JSON object`);
    return;
  }
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const f = tree.get(fold(key));
    const at = `${where}${where ? '.' : ''}${f?.name ?? key}`;
    if (v === null) continue;
    if (!f) {
      out.findings.push(`${at} (not on the allow-list)`);
      continue;
    }
    seen.add(fold(key));
    if (f.row) {
      if (f.row.admit.test(v)) out.used.add(f.row.path);
      else out.findings.push(`${at}=${short(v)} (admitted: ${f.row.admit.says})`);
    } else if (f.items) {
      if (!Array.isArray(v)) out.findings.push(`${at} is not a list`);
      else v.forEach((item, i) => walk(item, f.items!, `${at}[${i}]`, out));
    } else walk(v, f.node!, at, out);
  }
  for (const [key, f] of tree) {
    if (f.row?.required && !seen.has(key)) {
      out.findings.push(`${where}${where ? '.' : ''}${f.name} is missing (${f.row.required})`);
    }
  }
}
