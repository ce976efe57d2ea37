import { ldapFilterProblem } from './ldap-filter.js';
import { RELAY_PORT } from '../host-layout.js';
import type { ConfigProblem } from './problems.js';
import { inSystem, SHARED_COLLECTION, SYSTEM_COLLECTION } from './access-names.js';
import { SWARM_PORTS } from './fields.js';
import { fileProblems } from './file-checks.js';
import { hookProblems } from './hook-checks.js';
import { ingressProblems } from './ingress-checks.js';
import { mirrorProblems } from './mirror-checks.js';
import {
  clusterSchema,
  hostSchema,
  type AccessSpec,
  type ControlPlaneSpec,
  type EngineSpec,
  type HostSpec,
  type IdentitySpec,
  type ImagePolicySpec,
  type RegistrySpec,
  type SwarmSpec,
} from './schema.js';
import type { Locator } from './source.js';

const spec = clusterSchema.shape.spec.shape;

/**
 * Checks what the schema cannot see field by field: a manager exists, addresses are unique, registry
 * replicas share storage, the manager count tolerates failures. Each check runs when the parts it reads
 * are valid on their own, so a typo elsewhere in the file does not hide these problems.
 */
export function relationProblems(data: unknown, loc: Locator): ConfigProblem[] {
  const raw = field(data, 'spec');
  const hostList = field(raw, 'hosts');
  const hosts = spec.hosts.safeParse(hostList);
  const engine = spec.engine.safeParse(field(raw, 'engine'));
  const registry = spec.registry.safeParse(field(raw, 'registry'));
  const controlPlane = spec.controlPlane.safeParse(field(raw, 'controlPlane'));
  const swarm = spec.swarm.safeParse(field(raw, 'swarm'));
  const problems: ConfigProblem[] = [];
  // Duplicates are judged among the hosts that are valid, even when another host has a typo.
  const eachHost = Array.isArray(hostList) ? hostList.map((h) => hostSchema.safeParse(h).data) : [];
  problems.push(...duplicateProblems(eachHost, loc));
  // A host whose role is not written as manager is not one, whatever else is wrong with the hosts; the
  // count's warnings wait until every host is right (a mistyped role may be a manager-to-be).
  if (Array.isArray(hostList) && hostList.length > 0) {
    const managers = hostList.filter((h) => field(h, 'role') === 'manager').length;
    if (managers === 0 || hosts.success) problems.push(...managerProblems(managers, loc));
  }
  if (engine.success) problems.push(...engineProblems(engine.data, loc));
  const images = spec.images.safeParse(field(raw, 'images'));
  if (images.success) problems.push(...imagePolicyProblems(images.data.policy, loc));
  if (hosts.success && registry.success) problems.push(...registryProblems(hosts.data, registry.data, loc));
  const access = spec.access.safeParse(field(raw, 'access'));
  const identity = spec.identity.safeParse(field(raw, 'identity'));
  // Until the identity section reads right, names the directory may hold are not judged against the file.
  const directory = !identity.success || identity.data.ldap !== undefined;
  if (access.success && access.data) problems.push(...accessProblems(access.data, directory, loc));
  if (identity.success && access.success) problems.push(...identityProblems(identity.data, access.data, loc));
  if (hosts.success && access.success) problems.push(...collectionProblems(hosts.data, access.data, loc));
  if (images.success && hosts.success && access.success) {
    problems.push(...imageEnforcementProblems(images.data.policy, hosts.data, access.data, loc));
  }
  if (controlPlane.success && registry.success && swarm.success) {
    problems.push(...portProblems(controlPlane.data, registry.data, swarm.data, loc));
  }
  if (registry.success) problems.push(...registryUserProblems(registry.data, loc));
  if (registry.success) {
    const others = { engine: engine.data, apiPort: controlPlane.data?.apiPort };
    problems.push(...mirrorProblems(registry.data, others, loc));
  }
  if (registry.success) problems.push(...notificationProblems(registry.data, loc));
  if (registry.success && access.success)
    problems.push(...tokenAuthProblems(registry.data, access.data, loc));
  const files = spec.files.safeParse(field(raw, 'files'));
  if (files.success && hosts.success) problems.push(...fileProblems(files.data, hosts.data, loc));
  const ingress = spec.ingress.safeParse(field(raw, 'ingress'));
  if (ingress.success && ingress.data && hosts.success) {
    const others = {
      hosts: hosts.data,
      controlPlane: controlPlane.data,
      registry: registry.data,
      swarm: swarm.data,
    };
    problems.push(...ingressProblems(ingress.data, others, loc));
  }
  const hooks = spec.hooks.safeParse(field(raw, 'hooks'));
  if (hooks.success && hosts.success) problems.push(...hookProblems(hooks.data, hosts.data, loc));
  return problems;
}

/**
 * Token authentication: it needs the access model (its users log in, its grants decide), excludes
 * htpasswd; namespaces need it, never map to /System, and are not named like a user (whose private
 * namespace the name is).
 */
function tokenAuthProblems(
  registry: RegistrySpec,
  access: AccessSpec | undefined,
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const auth = ['spec', 'registry', 'auth'];
  const token = registry.auth?.token;
  if (token && registry.auth?.htpasswd) {
    problems.push(
      loc.problem('error', [...auth, 'htpasswd'], 'htpasswd and token are exclusive: keep one of them'),
    );
  }
  if (token && !access) {
    problems.push(
      loc.problem(
        'error',
        [...auth, 'token'],
        "token authentication needs spec.access: its users log in and its grants decide each repository's permissions",
      ),
    );
  }
  if (!token && registry.namespaces.length > 0) {
    problems.push(
      loc.problem(
        'error',
        ['spec', 'registry', 'namespaces'],
        'namespaces need registry.auth.token: with htpasswd every user may push and pull everything',
      ),
    );
  }
  const users = new Set((access?.users ?? []).map((u) => u.name));
  const seen = new Set<string>();
  registry.namespaces.forEach((n, i) => {
    const at = ['spec', 'registry', 'namespaces', i];
    if (seen.has(n.name))
      problems.push(loc.problem('error', [...at, 'name'], `duplicate namespace ${n.name}`));
    seen.add(n.name);
    if (inSystem(n.collection)) {
      problems.push(
        loc.problem(
          'error',
          [...at, 'collection'],
          `${SYSTEM_COLLECTION} is for admins only: choose a collection below ${SHARED_COLLECTION}`,
        ),
      );
    }
    if (users.has(n.name)) {
      problems.push(
        loc.problem(
          'error',
          [...at, 'name'],
          `${n.name} is a user's private namespace (/Shared/Private/${n.name}): choose another name`,
        ),
      );
    }
  });
  return problems;
}

function managerProblems(count: number, loc: Locator): ConfigProblem[] {
  const at = ['spec', 'hosts'];
  if (count === 0) {
    return [
      loc.problem(
        'error',
        at,
        'no manager: at least one host needs role: manager (3 managers tolerate 1 failure)',
      ),
    ];
  }
  if (count === 1) {
    return [
      loc.problem('warning', at, '1 manager: no fault tolerance: lose it and the cluster cannot be managed'),
    ];
  }
  if (count % 2 === 0) {
    // Raft needs a majority: n managers survive floor((n-1)/2) failures, so an even n buys nothing over n-1.
    const tolerated = Math.floor((count - 1) / 2);
    const failures = `${tolerated} failure${tolerated === 1 ? '' : 's'}`;
    const fewer = `${count - 1} ${count - 1 === 1 ? 'does' : 'do'}`;
    return [
      loc.problem('warning', at, `${count} managers tolerate ${failures}, as ${fewer}: use an odd number`),
    ];
  }
  return [];
}

function duplicateProblems(hosts: (HostSpec | undefined)[], loc: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Sandbox hosts share 127.0.0.1 on different ports, so a host is its address and port.
  const endpoints = new Map<string, number>();
  const privateAddresses = new Map<string, number>();
  hosts.forEach((host, i) => {
    if (!host) return;
    const endpoint = `${host.address}:${host.ssh.port ?? 22}`;
    const first = endpoints.get(endpoint);
    if (first === undefined) endpoints.set(endpoint, i);
    else {
      const where = host.ssh.port === undefined ? host.address : `${host.address} port ${host.ssh.port}`;
      const message = `duplicate address ${where}: spec.hosts[${first}] has it too`;
      problems.push(loc.problem('error', ['spec', 'hosts', i, 'address'], message));
    }
    if (host.privateAddress === undefined) return;
    const other = privateAddresses.get(host.privateAddress);
    if (other === undefined) privateAddresses.set(host.privateAddress, i);
    else {
      const message = `duplicate privateAddress ${host.privateAddress}: spec.hosts[${other}] has it too (each node advertises its own)`;
      problems.push(loc.problem('error', ['spec', 'hosts', i, 'privateAddress'], message));
    }
  });
  return problems;
}

function engineProblems(engine: EngineSpec, loc: Locator): ConfigProblem[] {
  if (engine.source === 'mirror' && !engine.repoUrl) {
    const message = 'mirror needs repoUrl: the package repository to install the engine from';
    return [loc.problem('error', ['spec', 'engine', 'source'], message)];
  }
  if (engine.source === 'mirror') {
    if (engine.repoKey && engine.insecure) {
      const message = 'insecure: true and a repoKey contradict each other: drop one (the key is safer)';
      return [loc.problem('error', ['spec', 'engine', 'insecure'], message)];
    }
    if (engine.insecure) {
      const message =
        'the mirror is unsigned on purpose: packages are installed without a signature check, so whoever can alter mirror traffic gets root on every host; set repoKey instead';
      return [loc.problem('warning', ['spec', 'engine', 'insecure'], message)];
    }
    if (!engine.repoKey) {
      const message =
        'a mirror needs repoKey: the public key that signs it (or insecure: true to install unsigned packages on purpose)';
      return [loc.problem('error', ['spec', 'engine', 'source'], message)];
    }
    return [];
  }
  const unused = (['repoUrl', 'repoKey', 'insecure'] as const).filter((k) => engine[k]);
  return unused.map((k) =>
    loc.problem(
      'warning',
      ['spec', 'engine', k],
      `is used only with source: mirror, and source is ${engine.source}`,
    ),
  );
}

function registryProblems(hosts: HostSpec[], registry: RegistrySpec, loc: Locator): ConfigProblem[] {
  const replicas = hosts.flatMap((h, i) => (h.role === 'registry' ? [{ address: h.address, i }] : []));
  const storage = registry.storage;
  if (replicas.length < 2 || !('filesystem' in storage) || storage.filesystem.shared) return [];
  const message =
    `registry replicas must share storage: ${replicas.length} registry hosts (${replicas.map((r) => r.address).join(', ')}) ` +
    `would each keep their own images in ${storage.filesystem.path}; mark it shared: true if the path is on ` +
    'shared storage, use s3, or keep one registry host';
  // Point at the storage the file names; when it names none (the default), at the second replica.
  const second = replicas[1] as { i: number };
  const at = loc.sourceText(['spec', 'registry', 'storage'])
    ? ['spec', 'registry', 'storage', 'filesystem', 'shared']
    : ['spec', 'hosts', second.i, 'role'];
  return [{ ...loc.problem('error', at, message), path: 'spec.registry.storage' }];
}

/**
 * Names are unique, grants name one known user or team, /System is never granted, an admin exists. With a
 * directory (`directory`), members and grants may name users the file does not list: they come from it.
 */
function accessProblems(access: AccessSpec, directory: boolean, loc: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (...path: (string | number)[]) => ['spec', 'access', ...path];
  const users = new Map<string, number>();
  access.users.forEach((u, i) => {
    if (users.has(u.name))
      problems.push(
        loc.problem(
          'error',
          at('users', i, 'name'),
          `duplicate user ${u.name}: spec.access.users[${users.get(u.name)}] has it too`,
        ),
      );
    else users.set(u.name, i);
  });
  if (!access.users.some((u) => u.admin)) {
    problems.push(
      loc.problem(
        'warning',
        at('users'),
        'no user has admin: true: nobody but root on a manager can manage nodes or /System',
      ),
    );
  }
  const teams = new Map<string, number>();
  access.teams.forEach((t, i) => {
    if (teams.has(t.name))
      problems.push(loc.problem('error', at('teams', i, 'name'), `duplicate team ${t.name}`));
    else teams.set(t.name, i);
    t.members.forEach((m, j) => {
      if (!users.has(m) && !directory)
        problems.push(loc.problem('error', at('teams', i, 'members', j), `${m} is not in spec.access.users`));
    });
  });
  access.grants.forEach((g, i) => {
    if ((g.user === undefined) === (g.team === undefined)) {
      problems.push(loc.problem('error', at('grants', i), 'a grant names exactly one of user or team'));
    }
    if (g.user !== undefined && !users.has(g.user) && !directory)
      problems.push(loc.problem('error', at('grants', i, 'user'), `${g.user} is not in spec.access.users`));
    if (g.team !== undefined && !teams.has(g.team))
      problems.push(loc.problem('error', at('grants', i, 'team'), `${g.team} is not in spec.access.teams`));
    if (inSystem(g.collection)) {
      problems.push(
        loc.problem(
          'error',
          at('grants', i, 'collection'),
          `${SYSTEM_COLLECTION} is for admins only: make the user admin: true instead`,
        ),
      );
    }
  });
  return problems;
}

/**
 * The directory's connection says how it is protected (ldaps://, or ldap:// with StartTLS, or insecure on
 * purpose), its filters read as the directory reads them, and groups are mapped only with a directory, which
 * needs access control to give its users anything.
 */
function identityProblems(
  identity: IdentitySpec,
  access: AccessSpec | undefined,
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const ldap = identity.ldap;
  const at = (...path: (string | number)[]) => ['spec', 'identity', 'ldap', ...path];
  if (!ldap) {
    access?.teams.forEach((t, i) => {
      if (t.ldapGroup !== undefined)
        problems.push(
          loc.problem(
            'error',
            ['spec', 'access', 'teams', i, 'ldapGroup'],
            'a team maps a directory group only with spec.identity.ldap: add it, or remove ldapGroup',
          ),
        );
    });
    return problems;
  }
  if (!access) {
    problems.push(
      loc.problem(
        'error',
        ['spec', 'identity', 'ldap'],
        'directory users get access through spec.access (teams with ldapGroup, grants): add spec.access',
      ),
    );
  }
  const secure = ldap.url.toLowerCase().startsWith('ldaps:');
  if (secure && ldap.startTLS) {
    problems.push(
      loc.problem(
        'error',
        at('startTLS'),
        'ldaps:// is TLS already: StartTLS is for ldap:// URLs; remove it',
      ),
    );
  }
  if (!secure && !ldap.startTLS && !ldap.insecure) {
    problems.push(
      loc.problem(
        'error',
        at('url'),
        'plain ldap:// sends passwords readable: use ldaps://, or startTLS: true, or insecure: true on purpose',
      ),
    );
  }
  if (ldap.insecure && (secure || ldap.startTLS)) {
    problems.push(loc.problem('warning', at('insecure'), 'has no effect: the URL uses TLS'));
  } else if (ldap.insecure) {
    problems.push(
      loc.problem(
        'warning',
        at('insecure'),
        'the directory is read over plain ldap://: the bind password and login passwords cross the network readable',
      ),
    );
  }
  for (const key of ['userFilter', 'groupFilter'] as const) {
    const problem = ldapFilterProblem(ldap[key]);
    if (problem) problems.push(loc.problem('error', at(key), problem));
  }
  return problems;
}

/**
 * Node collections: only workers choose one (managers and registry hosts are /System), and it must be a
 * value a placement constraint can name. Collections that differ only in case are refused everywhere:
 * swarmkit compares a constraint's value without regard to case, so `==/Shared/a` would reach the nodes
 * of `/Shared/A`.
 */
function collectionProblems(
  hosts: HostSpec[],
  access: AccessSpec | undefined,
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const named: { collection: string; at: (string | number)[] }[] = [];
  hosts.forEach((h, i) => {
    if (h.collection === undefined) return;
    const at = ['spec', 'hosts', i, 'collection'];
    if (h.role !== 'worker') {
      problems.push(
        loc.problem(
          'error',
          at,
          `a ${h.role} is always in ${SYSTEM_COLLECTION}: only workers name a collection`,
        ),
      );
    } else if (!/^[A-Za-z0-9:_./-]+$/.test(h.collection)) {
      problems.push(
        loc.problem('error', at, 'a node collection is named in placement constraints, which cannot hold @'),
      );
    }
    named.push({ collection: h.collection, at });
  });
  access?.users.forEach((u, i) => {
    if (u.defaultCollection !== undefined)
      named.push({
        collection: u.defaultCollection,
        at: ['spec', 'access', 'users', i, 'defaultCollection'],
      });
  });
  // A grant anywhere in /System is refused on its own (accessProblems).
  access?.grants.forEach((g, i) => {
    if (!inSystem(g.collection))
      named.push({ collection: g.collection, at: ['spec', 'access', 'grants', i, 'collection'] });
  });
  // The built-in collections count too: a grant on /shared would reach the nodes of /Shared.
  const seen = new Map([SYSTEM_COLLECTION, SHARED_COLLECTION].map((c) => [c.toLowerCase(), c]));
  for (const { collection, at } of named) {
    const folded = collection.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined && other !== collection) {
      problems.push(
        loc.problem(
          'error',
          at,
          `${collection} and ${other} differ only in case: placement constraints do not tell them apart, so use one spelling`,
        ),
      );
    } else seen.set(folded, collection);
  }
  return problems;
}

/**
 * The engine API and the registry publish TCP ports on the hosts, next to the swarm's own (2377, 7946, and
 * the data path port): two services on one port would fail at start, after hosts were changed.
 */
function portProblems(
  controlPlane: ControlPlaneSpec,
  registry: RegistrySpec,
  swarm: SwarmSpec,
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const taken = (port: number): string | undefined =>
    (SWARM_PORTS as readonly number[]).includes(port)
      ? `the swarm's port ${port}`
      : port === swarm.dataPathPort
        ? `the swarm's data path port ${port}`
        : undefined;
  const api = ['spec', 'controlPlane', 'apiPort'];
  const reg = ['spec', 'registry', 'port'];
  const apiClash = taken(controlPlane.apiPort);
  if (apiClash)
    problems.push(loc.problem('error', api, `${controlPlane.apiPort} is ${apiClash}: choose another`));
  const regClash = taken(registry.port);
  if (regClash) problems.push(loc.problem('error', reg, `${registry.port} is ${regClash}: choose another`));
  if (controlPlane.apiPort === registry.port) {
    // Point at the one the file writes (the other is a default), or at the registry's.
    const at = loc.sourceText(reg) === undefined && loc.sourceText(api) !== undefined ? api : reg;
    const message = `the registry and the engine API would both listen on ${registry.port}: choose another port`;
    problems.push(loc.problem('error', at, message));
  }
  if ((SWARM_PORTS as readonly number[]).includes(swarm.dataPathPort)) {
    const message = `${swarm.dataPathPort} is the swarm's port ${swarm.dataPathPort}: choose another (default 4789)`;
    problems.push(loc.problem('error', ['spec', 'swarm', 'dataPathPort'], message));
  }
  return problems;
}

function registryUserProblems(registry: RegistrySpec, loc: Locator): ConfigProblem[] {
  const seen = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  (registry.auth?.htpasswd?.users ?? []).forEach((user, i) => {
    const first = seen.get(user.name);
    if (first === undefined) seen.set(user.name, i);
    else {
      const at = ['spec', 'registry', 'auth', 'htpasswd', 'users', i, 'name'];
      problems.push(loc.problem('error', at, `duplicate user ${user.name}: users[${first}] has it too`));
    }
  });
  return problems;
}

/** Each webhook endpoint's name is its path at the relay and its line in `eectl status`: one of each. */
function notificationProblems(registry: RegistrySpec, loc: Locator): ConfigProblem[] {
  const seen = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  if (registry.notifications.length > 0 && registry.port === RELAY_PORT) {
    const message = `${RELAY_PORT} is the webhook relay's port on the registry hosts: choose another registry port`;
    problems.push(loc.problem('error', ['spec', 'registry', 'port'], message));
  }
  registry.notifications.forEach((n, i) => {
    const first = seen.get(n.name);
    if (first === undefined) seen.set(n.name, i);
    else {
      const at = ['spec', 'registry', 'notifications', i, 'name'];
      problems.push(
        loc.problem('error', at, `duplicate endpoint ${n.name}: notifications[${first}] has it too`),
      );
    }
  });
  return problems;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** What the managers need to enforce the image policy: a registry to read signatures from, known teams. */
function imageEnforcementProblems(
  policy: ImagePolicySpec,
  hosts: HostSpec[],
  access: AccessSpec | undefined,
  loc: Locator,
): ConfigProblem[] {
  const at = ['spec', 'images', 'policy'];
  const problems: ConfigProblem[] = [];
  if (policy.requireSigned && !hosts.some((h) => h.role === 'registry')) {
    problems.push(
      loc.problem(
        'error',
        [...at, 'requireSigned'],
        'requireSigned needs the cluster registry (a host with role: registry): signatures are read there, and only images there can run',
      ),
    );
  }
  const teams = new Set((access?.teams ?? []).map((t) => t.name));
  policy.trust.forEach((scope, i) => {
    if (scope.team !== undefined && !teams.has(scope.team)) {
      problems.push(
        loc.problem(
          'error',
          [...at, 'trust', i, 'team'],
          `${scope.team} is not in spec.access.teams: keys for a team need access control to know its members`,
        ),
      );
    }
  });
  return problems;
}

function imagePolicyProblems(policy: ImagePolicySpec, loc: Locator): ConfigProblem[] {
  const at = ['spec', 'images', 'policy'];
  const problems: ConfigProblem[] = [];
  policy.trust.forEach((scope, i) => {
    if ((scope.collection === undefined) === (scope.team === undefined)) {
      problems.push(
        loc.problem('error', [...at, 'trust', i], 'name exactly one of collection or team for these keys'),
      );
    }
  });
  if (policy.requireSigned && policy.keys.length === 0 && policy.trust.length === 0) {
    problems.push(
      loc.problem(
        'error',
        [...at, 'requireSigned'],
        'requireSigned with no key: no image could run; list public keys under keys (cosign .pub files)',
      ),
    );
  }
  return problems;
}
