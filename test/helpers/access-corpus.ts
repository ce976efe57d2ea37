import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessPolicy } from '../../src/lib/access/model.js';
import type { Lookup } from '../../src/lib/access/policy.js';
import type { SignatureLookup } from '../../src/lib/images/policy.js';

/**
 * The hostile-request corpus of the authorization plugin: each case is a request the plugin must refuse,
 * with the reason it must give, and its allowed twin — the same request made harmless — which it must
 * allow (so a plugin that refuses everything fails as surely as one that lets a case through). The unit
 * tier runs it through `decide`, the integration tier through the plugin's socket as the engine calls it.
 * docs/security.md lists the classes.
 */

export const REG = '10.0.0.31:5443';
export const SIGNED = `sha256:${'a'.repeat(64)}`;
export const UNSIGNED = `sha256:${'b'.repeat(64)}`;
export const OWN_IMAGE = `sha256:${'1'.repeat(64)}`;
const signedImage = `${REG}/team/app@${SIGNED}`;
const unsignedImage = `${REG}/team/app@${UNSIGNED}`;

const cosignPem = readFileSync(join(import.meta.dirname, '../fixtures/cosign/cosign.pub'), 'utf8');

/** Users: an admin; dev (restrictedControl on /Shared/team through a team, scheduler on /Shared); full. */
export const CORPUS_POLICY: AccessPolicy = {
  version: 1,
  cluster: 'corpus',
  users: [
    { name: 'root', admin: true, defaultCollection: '/Shared/Private/root' },
    { name: 'dev', admin: false, defaultCollection: '/Shared/Private/dev' },
    { name: 'full', admin: false, defaultCollection: '/Shared/Private/full' },
    { name: 'viewer', admin: false, defaultCollection: '/Shared/Private/viewer' },
    { name: 'root-wide', admin: false, defaultCollection: '/Shared/Private/root-wide' },
  ],
  teams: [{ name: 'team-a', members: ['dev'] }],
  grants: [
    { team: 'team-a', role: 'restrictedControl', collection: '/Shared/team' },
    { team: 'team-a', role: 'scheduler', collection: '/Shared' },
    { user: 'full', role: 'fullControl', collection: '/Shared/full' },
    { user: 'full', role: 'scheduler', collection: '/Shared' },
    { user: 'viewer', role: 'viewOnly', collection: '/Shared' },
    // A grant on / (allowed: no grant reaches /System) — in any spelling.
    { user: 'root-wide', role: 'restrictedControl', collection: '/' },
  ],
  revoked: [],
  images: {
    requireSigned: true,
    keys: [{ name: 'cosign.pub', pem: cosignPem }],
    scoped: [],
    allowUnsigned: [],
    ownImages: [OWN_IMAGE],
    ownServices: ['eectl-registry'],
    registries: [REG],
  },
};

const TEAM = { 'eectl.collection': '/Shared/team' };
const PIN = ['node.role==worker', 'node.labels.eectl.collection==/Shared'];

/** A service spec as the docker CLI sends it for dev (captured from `docker service create`, API 1.45). */
export function baseSpec(): Record<string, unknown> {
  return {
    Name: 'web',
    Labels: { ...TEAM },
    TaskTemplate: {
      ContainerSpec: {
        Image: signedImage,
        Args: ['sleep', '3600'],
        Hostname: 'h',
        Env: ['A=1'],
        User: '1000',
        Init: true,
        ReadOnly: true,
        Mounts: [
          { Type: 'volume', Source: 'data', Target: '/data' },
          { Type: 'tmpfs', Target: '/tmp' },
        ],
        StopGracePeriod: 5000000000,
        Healthcheck: { Test: ['CMD-SHELL', 'true'] },
        Hosts: ['1.2.3.4 a'],
        DNSConfig: { Nameservers: ['1.1.1.1'] },
        Secrets: [{ File: { Name: 's2', UID: '0', GID: '0', Mode: 292 }, SecretID: 's2', SecretName: 's2' }],
        CapabilityDrop: ['ALL'],
      },
      Resources: { Limits: { MemoryBytes: 67108864 }, Reservations: { NanoCPUs: 100000000 } },
      RestartPolicy: { Condition: 'on-failure', Delay: 5000000000, MaxAttempts: 0 },
      Placement: { Constraints: [...PIN] },
      Networks: [{ Target: 'teamnet' }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5000000000,
      MaxFailureRatio: 0,
      Order: 'stop-first',
    },
    RollbackConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5000000000,
      MaxFailureRatio: 0,
      Order: 'start-first',
    },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }],
    },
  };
}

type Json = Record<string, unknown>;
/** The base spec with the container spec, the task template or the spec itself changed. */
const spec = (change: { container?: Json; task?: Json; top?: Json } = {}): Json => {
  const s = baseSpec();
  const task = s.TaskTemplate as Json;
  Object.assign(task.ContainerSpec as Json, change.container);
  Object.assign(task, change.task);
  return Object.assign(s, change.top);
};
const withMount = (mount: Json) =>
  spec({ container: { Mounts: [{ Type: 'volume', Source: 'data', Target: '/data' }, mount] } });
const withPlacement = (constraints: string[]) => spec({ task: { Placement: { Constraints: constraints } } });
/** A spec of full's own collection, with no references to /Shared/team's network or secret. */
const fullSpec = (change: { container?: Json; task?: Json } = {}): Json =>
  spec({
    top: { Labels: { 'eectl.collection': '/Shared/full' } },
    container: { Secrets: [], ...change.container },
    task: { Networks: [], ...change.task },
  });

/** The engine's state the plugin looks up. */
export const WORLD: Record<string, unknown> = {
  'service/web': {
    ID: 'web',
    Spec: baseSpec(),
    PreviousSpec: withMount({ Type: 'bind', Source: '/', Target: '/host' }),
  },
  'service/web2': { ID: 'web2', Spec: baseSpec(), PreviousSpec: spec({ container: { Env: ['OLD=1'] } }) },
  'service/web3': {
    ID: 'web3',
    Spec: baseSpec(),
    PreviousSpec: spec({ top: { Labels: { 'eectl.collection': '/Shared/other' } } }),
  },
  'service/web4': {
    ID: 'web4',
    Spec: baseSpec(),
    PreviousSpec: spec({ container: { Image: unsignedImage } }),
  },
  'service/web5': { ID: 'web5', Spec: baseSpec() },
  'service/web6': { ID: 'web6', Spec: baseSpec(), PreviousSpec: withPlacement([]) },
  'service/eectl-registry': { ID: 'eectl-registry', Spec: { Name: 'eectl-registry', Labels: {} } },
  'container/c1': { Config: { Labels: { 'com.docker.swarm.service.id': 'web' } } },
  'container/c2': { Config: { Labels: { 'eectl.collection': '/Shared/other' } } },
  'container/c3': { Config: { Labels: { 'eectl.collection': '/Shared/full' } } },
  // A task of dev's service whose ContainerSpec.Labels claim full's collection.
  'container/c4': {
    Config: { Labels: { 'com.docker.swarm.service.id': 'web', 'eectl.collection': '/Shared/full' } },
  },
  'exec/e3': { ContainerID: 'c3' },
  'exec/e2': { ContainerID: 'c2' },
  'network/teamnet': { Name: 'teamnet', Driver: 'overlay', Labels: { ...TEAM } },
  'network/othernet': {
    Name: 'othernet',
    Driver: 'overlay',
    Labels: { 'eectl.collection': '/Shared/other' },
  },
  'network/hostnet': { Name: 'host', Driver: 'host', Labels: {} },
  'secret/s1': { Spec: { Labels: { 'eectl.collection': '/Shared/other' } } },
  'secret/s2': { Spec: { Labels: { ...TEAM } } },
  'config/cfg': { Spec: { Labels: { ...TEAM } } },
  'node/w1': { ID: 'w1', Spec: { Role: 'worker', Labels: { 'eectl.collection': '/Shared' } } },
  'node/m1': { ID: 'm1', Spec: { Role: 'manager', Labels: { 'eectl.collection': '/System' } } },
};

/** Signatures as the cluster registry would answer: SIGNED is signed by the trusted key, nothing else. */
export const corpusSignatures: SignatureLookup = async (_ref, digest, keys) =>
  digest === SIGNED
    ? { signedBy: keys[0]?.name ?? 'key', rejected: [], signatures: 1 }
    : { rejected: [], signatures: 0 };

export const corpusLookup: Lookup = {
  inspect: async (kind, id) => WORLD[`${kind}/${id}`],
  signatures: corpusSignatures,
};

/** One request of the corpus. `body: null` is a request the engine passed without a body. */
export interface CorpusRequest {
  user: string;
  method: string;
  uri: string;
  body?: Json | string | null;
}

export interface CorpusCase {
  name: string;
  /** The class of docs/security.md it belongs to. */
  class:
    | 'routing'
    | 'decoding'
    | 'defaults'
    | 'allow-list'
    | 'effects'
    | 'free passes'
    | 'placement'
    | 'fail closed';
  hostile: CorpusRequest & { reason: RegExp };
  twin: CorpusRequest;
}

const create = (user: string, body: Json | string | null, uri = '/v1.45/services/create'): CorpusRequest => ({
  user,
  method: 'POST',
  uri,
  body,
});
const devCreate = (body: Json | string | null, uri?: string) => create('dev', body, uri);
/** A raw body with a key of the container spec spelled as given (for spellings JSON.stringify cannot vary). */
const rawWithContainerKey = (key: string, value: unknown): string => {
  const base = baseSpec();
  // The base has a Healthcheck: drop it when the key is another spelling of it (else a key named twice).
  if (key.toLowerCase().replace('\u212a', 'k') === 'healthcheck') {
    delete ((base.TaskTemplate as Json).ContainerSpec as Json).Healthcheck;
  }
  return JSON.stringify(base).replace('"Image":', `${JSON.stringify(key)}:${JSON.stringify(value)},"Image":`);
};
const ALLOW_LIST = /not on the allow-list|admitted:|is missing/;

export const CORPUS: CorpusCase[] = [
  // The request target as the engine's router reads it.
  {
    name: 'a version prefix the old plugin could not parse (1.41.0): an unsigned image from the admin',
    class: 'routing',
    hostile: {
      ...create('root', spec({ container: { Image: unsignedImage } }), '/v1.41.0/services/create'),
      reason: /signed images only/,
    },
    twin: create('root', baseSpec(), '/v1.41.0/services/create'),
  },
  {
    name: 'a version prefix with leading zeros (01.041 is 1.41): a bind mount',
    class: 'routing',
    hostile: {
      ...devCreate(withMount({ Type: 'bind', Source: '/', Target: '/h' }), '/v01.041/services/create'),
      reason: ALLOW_LIST,
    },
    twin: devCreate(baseSpec(), '/v01.041/services/create'),
  },
  {
    name: 'a version with a trailing dot (1.41.)',
    class: 'routing',
    hostile: {
      ...devCreate(withMount({ Type: 'bind', Source: '/', Target: '/h' }), '/v1.41./services/create'),
      reason: ALLOW_LIST,
    },
    twin: devCreate(baseSpec(), '/v1.41./services/create'),
  },
  {
    name: 'no version prefix (the engine uses its own)',
    class: 'routing',
    hostile: {
      ...devCreate(spec({ container: { CapabilityAdd: ['SYS_ADMIN'] } }), '/services/create'),
      reason: /CapabilityAdd/,
    },
    twin: devCreate(baseSpec(), '/services/create'),
  },
  {
    name: 'absolute-form request target',
    class: 'routing',
    hostile: {
      ...devCreate(
        withMount({ Type: 'bind', Source: '/', Target: '/h' }),
        'http://manager/v1.45/services/create',
      ),
      reason: ALLOW_LIST,
    },
    twin: devCreate(baseSpec(), 'http://manager/v1.45/services/create'),
  },
  {
    name: 'absolute form with another scheme and user info',
    class: 'routing',
    hostile: {
      ...devCreate(spec({ container: { Sysctls: { 'kernel.x': '1' } } }), 'unix://a@b/v1.45/services/create'),
      reason: /Sysctls/,
    },
    twin: devCreate(baseSpec(), 'unix://a@b/v1.45/services/create'),
  },
  {
    name: 'a percent-encoded path segment',
    class: 'routing',
    hostile: {
      ...devCreate(withMount({ Type: 'bind', Source: '/', Target: '/h' }), '/v1.45/%73ervices/create'),
      reason: ALLOW_LIST,
    },
    twin: devCreate(baseSpec(), '/v1.45/%73ervices/create'),
  },
  {
    name: 'an encoded slash joins two segments',
    class: 'routing',
    hostile: {
      ...devCreate(withMount({ Type: 'bind', Source: '/', Target: '/h' }), '/v1.45/services%2Fcreate'),
      reason: ALLOW_LIST,
    },
    twin: devCreate(baseSpec(), '/v1.45/services%2Fcreate'),
  },
  {
    name: 'a lower-case method: the engine does not route it, so the plugin cannot place it',
    class: 'routing',
    hostile: {
      user: 'root',
      method: 'post',
      uri: '/v1.45/services/create',
      body: baseSpec(),
      reason: /not an engine API route.*refused for everyone/,
    },
    twin: { user: 'root', method: 'POST', uri: '/v1.45/services/create', body: baseSpec() },
  },
  {
    name: 'a trailing slash (the engine answers 404)',
    class: 'routing',
    hostile: { ...create('root', baseSpec(), '/v1.45/services/create/'), reason: /refused for everyone/ },
    twin: create('root', baseSpec(), '/v1.45/services/create'),
  },
  {
    name: 'a doubled slash (the engine redirects)',
    class: 'routing',
    hostile: { ...create('root', baseSpec(), '/v1.45//services/create'), reason: /redirects/ },
    twin: create('root', baseSpec(), '/v1.45/services/create'),
  },
  {
    name: 'dot segments',
    class: 'routing',
    hostile: { user: 'root', method: 'GET', uri: '/v1.45/services/../swarm', reason: /redirects/ },
    twin: { user: 'root', method: 'GET', uri: '/v1.45/swarm' },
  },
  {
    name: 'an API version the plugin does not know',
    class: 'routing',
    hostile: { ...create('root', baseSpec(), '/v1.99/services/create'), reason: /API version 1.99/ },
    twin: create('root', baseSpec(), '/v1.45/services/create'),
  },
  {
    name: 'a version below the engine minimum reads as 1.0 (v1..41)',
    class: 'routing',
    hostile: { ...create('root', baseSpec(), '/v1..41/services/create'), reason: /API version 1\.\.41/ },
    twin: create('root', baseSpec(), '/v1.41/services/create'),
  },
  {
    name: 'a bad percent escape (the engine answers 400)',
    class: 'routing',
    hostile: { user: 'root', method: 'GET', uri: '/v1.45/services/%zz', reason: /not one the engine routes/ },
    twin: { user: 'root', method: 'GET', uri: '/v1.45/services/%77eb' },
  },
  {
    name: 'a query the engine refuses (a semicolon)',
    class: 'routing',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web/update?rollback=previous;x=1',
      body: baseSpec(),
      reason: /query/,
    },
    twin: { user: 'dev', method: 'POST', uri: '/v1.45/services/web/update?version=1', body: baseSpec() },
  },
  {
    name: 'the debug endpoints answer any method, unversioned',
    class: 'routing',
    hostile: {
      user: 'full',
      method: 'DELETE',
      uri: '/debug/pprof/profile',
      reason: /debug endpoints are for admins only/,
    },
    twin: { user: 'root', method: 'DELETE', uri: '/debug/pprof/profile' },
  },
  {
    name: 'an endpoint the plugin does not know, from an admin',
    class: 'routing',
    hostile: {
      user: 'root',
      method: 'POST',
      uri: '/v1.45/containers/c1/freeze',
      reason: /refused for everyone/,
    },
    twin: { user: 'root', method: 'POST', uri: '/v1.45/containers/c1/pause' },
  },

  // The body as Go's JSON decoder reads it.
  {
    name: 'lower-case field names are the same fields to the engine',
    class: 'decoding',
    hostile: {
      ...devCreate({
        ...baseSpec(),
        tasktemplate: undefined,
        TaskTemplate: undefined,
        tasKtemplate: {
          containerspec: { image: signedImage, mounts: [{ type: 'bind', source: '/', target: '/h' }] },
          placement: { constraints: PIN },
        },
      }),
      reason: ALLOW_LIST,
    },
    twin: devCreate({
      ...baseSpec(),
      TaskTemplate: undefined,
      tasktemplate: {
        containerspec: { image: signedImage, mounts: [{ type: 'volume', source: 'd', target: '/h' }] },
        placement: { constraints: PIN },
      },
    }),
  },
  {
    name: 'a key with a long s (U+017F) is that field to the engine',
    class: 'decoding',
    hostile: {
      ...devCreate(rawWithContainerKey('Privilege\u017f', { Seccomp: { Mode: 'unconfined' } })),
      reason: /Privileges\.Seccomp\.Mode="unconfined"/,
    },
    twin: devCreate(rawWithContainerKey('Privilege\u017f', { Seccomp: { Mode: 'default' } })),
  },
  {
    name: 'a key with the Kelvin sign (U+212A) is that field to the engine',
    class: 'decoding',
    hostile: {
      ...devCreate(rawWithContainerKey('Healthchec\u212a', { Test: 'CMD true' })),
      reason: /Healthcheck\.Test="CMD true"/,
    },
    twin: devCreate(rawWithContainerKey('Healthchec\u212a', { Test: ['CMD', 'true'] })),
  },
  {
    name: 'a key named twice: Go merges both objects, JSON.parse keeps the last',
    class: 'decoding',
    hostile: {
      ...devCreate(
        JSON.stringify(baseSpec()).replace(
          '"TaskTemplate":',
          '"TaskTemplate":{"ContainerSpec":{"Privileges":{"Seccomp":{"Mode":"unconfined"}}}},"TaskTemplate":',
        ),
      ),
      reason: /names the field TaskTemplate twice/,
    },
    twin: devCreate(JSON.stringify(baseSpec())),
  },
  {
    name: 'the same field in two spellings',
    class: 'decoding',
    hostile: {
      ...devCreate(rawWithContainerKey('image', unsignedImage)),
      reason: /twice \(as image and Image\)/,
    },
    twin: devCreate(rawWithContainerKey('Init', false).replace('"Init":true,', '')),
  },
  {
    name: 'a null after a value is no reset to the engine',
    class: 'decoding',
    hostile: {
      ...devCreate(
        rawWithContainerKey('CapabilityAdd', ['ALL']).replace('"Image":', '"CapabilityAdd":null,"Image":'),
      ),
      reason: /twice/,
    },
    twin: devCreate(rawWithContainerKey('CapabilityAdd', null)),
  },
  {
    name: 'data after the JSON value (the engine decodes only the first)',
    class: 'decoding',
    hostile: {
      ...devCreate(`${JSON.stringify(baseSpec())}{"TaskTemplate":{}}`),
      reason: /data after the JSON value/,
    },
    twin: devCreate(`${JSON.stringify(baseSpec())}\n`),
  },
  {
    name: 'a body that is not JSON',
    class: 'decoding',
    hostile: { ...devCreate('{"Name": "web",'), reason: /not valid JSON/ },
    twin: devCreate(JSON.stringify(baseSpec())),
  },

  // Defaults the engine applies.
  {
    name: 'a mount without a Type is a bind mount to the engine',
    class: 'defaults',
    hostile: {
      ...devCreate(withMount({ Source: '/', Target: '/host' })),
      reason: /Type is missing \(the engine reads a mount without a Type as a bind mount/,
    },
    twin: devCreate(withMount({ Type: 'volume', Source: 'v', Target: '/host' })),
  },
  {
    name: 'a mount Type in capitals is read without regard to case',
    class: 'defaults',
    hostile: {
      ...devCreate(withMount({ Type: 'BIND', Source: '/', Target: '/host' })),
      reason: /Type="BIND"/,
    },
    twin: devCreate(withMount({ Type: 'tmpfs', Target: '/host' })),
  },
  {
    name: 'a null mount is a zero mount (a bind) to the engine',
    class: 'defaults',
    hostile: { ...devCreate(spec({ container: { Mounts: [null] } })), reason: /not a JSON object/ },
    twin: devCreate(spec({ container: { Mounts: null } })),
  },
  {
    name: 'a published port without PublishMode goes through the routing mesh, on every node',
    class: 'defaults',
    hostile: {
      ...devCreate(spec({ top: { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 80 }] } } })),
      reason: /PublishMode is missing/,
    },
    twin: devCreate(
      spec({
        top: { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 80, PublishMode: 'host' }] } },
      }),
    ),
  },
  {
    name: 'a network without a Driver is a bridge on the manager',
    class: 'defaults',
    hostile: {
      ...devCreate({ Name: 'n', Labels: TEAM }, '/v1.45/networks/create'),
      reason: /Driver is missing/,
    },
    twin: devCreate(
      { Name: 'n', Labels: TEAM, Driver: 'overlay', Attachable: true },
      '/v1.45/networks/create',
    ),
  },

  // Only what the allow-list admits.
  ...(
    [
      [
        'a custom seccomp profile (no word "unconfined")',
        { Privileges: { Seccomp: { Mode: 'custom', Profile: '{}' } } },
        /Seccomp\.Mode="custom"/,
      ],
      [
        'a seccomp profile with the default mode',
        { Privileges: { Seccomp: { Mode: 'default', Profile: '{}' } } },
        /Seccomp\.Profile/,
      ],
      ['an SELinux type', { Privileges: { SELinuxContext: { Type: 'spc_t' } } }, /SELinuxContext/],
      ['AppArmor disabled', { Privileges: { AppArmor: { Mode: 'disabled' } } }, /AppArmor\.Mode="disabled"/],
      ['a credential spec', { Privileges: { CredentialSpec: { File: 'x' } } }, /CredentialSpec/],
      ['sysctls', { Sysctls: { 'net.ipv4.ip_forward': '1' } }, /Sysctls/],
      ['ulimits', { Ulimits: [{ Name: 'memlock', Soft: -1, Hard: -1 }] }, /Ulimits/],
      ['added capabilities', { CapabilityAdd: ['CAP_SYS_ADMIN'] }, /CapabilityAdd/],
      ['an isolation mode', { Isolation: 'hyperv' }, /Isolation="hyperv"/],
      ['a field of a newer engine', { OomScoreAdj: -1000 }, /OomScoreAdj \(not on the allow-list\)/],
      [
        'bind options on a volume mount',
        { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', BindOptions: { Propagation: 'rshared' } }] },
        /BindOptions/,
      ],
      [
        'a local volume that binds a host path',
        {
          Mounts: [
            {
              Type: 'volume',
              Source: 'v',
              Target: '/v',
              VolumeOptions: {
                DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } },
              },
            },
          ],
        },
        /DriverConfig\.Options/,
      ],
      [
        'a volume plugin',
        {
          Mounts: [
            {
              Type: 'volume',
              Source: 'v',
              Target: '/v',
              VolumeOptions: { DriverConfig: { Name: 'vieux/sshfs' } },
            },
          ],
        },
        /DriverConfig\.Name="vieux\/sshfs"/,
      ],
      [
        'a volume subpath',
        { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { Subpath: '../..' } }] },
        /Subpath/,
      ],
    ] as const
  ).map(([what, container, reason]): CorpusCase => ({
    name: `restrictedControl: ${what}`,
    class: 'allow-list',
    hostile: { ...devCreate(spec({ container: container as Json })), reason },
    twin: devCreate(baseSpec()),
  })),
  ...(
    [
      [
        'a plugin service',
        { Runtime: 'plugin', PluginSpec: { Name: 'x', Remote: 'evil/plugin' } },
        /Runtime="plugin"/,
      ],
      [
        'a syslog log driver that sends to an address',
        { LogDriver: { Name: 'syslog', Options: { 'syslog-address': 'tcp://203.0.113.1:514' } } },
        /LogDriver/,
      ],
      [
        'a log option that is not a local file setting',
        { LogDriver: { Name: 'json-file', Options: { 'max-size': '1m', path: '/etc' } } },
        /LogDriver\.Options/,
      ],
      [
        'network driver options',
        { Networks: [{ Target: 'teamnet', DriverOpts: { 'com.docker.network.endpoint.ifname': 'x' } }] },
        /DriverOpts/,
      ],
      [
        'generic resources (devices)',
        {
          Resources: {
            Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }] },
          },
        },
        /GenericResources/,
      ],
    ] as const
  ).map(([what, task, reason]): CorpusCase => ({
    name: `restrictedControl: ${what}`,
    class: 'allow-list',
    hostile: { ...devCreate(spec({ task: task as Json })), reason },
    twin: devCreate(baseSpec()),
  })),
  ...(
    [
      [
        'a macvlan network',
        '/networks/create',
        { Name: 'n', Labels: TEAM, Driver: 'macvlan', Options: { parent: 'eth0' } },
        { Name: 'n', Labels: TEAM, Driver: 'overlay', Options: { encrypted: '' } },
        /Driver="macvlan"/,
      ],
      [
        'an ingress network',
        '/networks/create',
        { Name: 'n', Labels: TEAM, Driver: 'overlay', Ingress: true },
        { Name: 'n', Labels: TEAM, Driver: 'overlay', Ingress: false },
        /Ingress=true/,
      ],
      [
        'a network with its own subnet',
        '/networks/create',
        { Name: 'n', Labels: TEAM, Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.0.0.0/8' }] } },
        { Name: 'n', Labels: TEAM, Driver: 'overlay', IPAM: { Driver: 'default' } },
        /IPAM\.Config/,
      ],
      [
        'a network from a config-only network',
        '/networks/create',
        { Name: 'n', Labels: TEAM, Driver: 'overlay', ConfigFrom: { Network: 'x' } },
        { Name: 'n', Labels: TEAM, Driver: 'overlay', Scope: 'swarm' },
        /ConfigFrom/,
      ],
      [
        'a volume that binds a host path',
        '/volumes/create',
        { Name: 'v', Labels: TEAM, DriverOpts: { type: 'none', o: 'bind', device: '/' } },
        { Name: 'v', Labels: TEAM, Driver: 'local' },
        /DriverOpts/,
      ],
      [
        'a cluster volume',
        '/volumes/create',
        { Name: 'v', Labels: TEAM, ClusterVolumeSpec: { Group: 'g' } },
        { Name: 'v', Labels: TEAM, DriverOpts: {} },
        /ClusterVolumeSpec/,
      ],
      [
        'a secret from a secret driver',
        '/secrets/create',
        { Name: 's', Labels: TEAM, Driver: { Name: 'vault' } },
        { Name: 's', Labels: TEAM, Data: 'eA==' },
        /Driver/,
      ],
      [
        'a templated config (it can read other secrets)',
        '/configs/create',
        { Name: 'c', Labels: TEAM, Data: 'eA==', Templating: { Name: 'golang' } },
        { Name: 'c', Labels: TEAM, Data: 'eA==' },
        /Templating/,
      ],
    ] as const
  ).map(([what, path, hostile, twin, reason]): CorpusCase => ({
    name: `restrictedControl: ${what}`,
    class: 'allow-list',
    hostile: { ...devCreate(hostile as Json, `/v1.45${path}`), reason },
    twin: devCreate(twin as Json, `/v1.45${path}`),
  })),
  {
    name: 'a container update that adds devices',
    class: 'allow-list',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/containers/c1/update',
      body: { Devices: [{ PathOnHost: '/dev/sda' }] },
      reason: /Devices/,
    },
    twin: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/containers/c1/update',
      body: { Memory: 67108864, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } },
    },
  },
  {
    name: 'a network connect with a fixed address',
    class: 'allow-list',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/networks/teamnet/connect',
      body: { Container: 'c1', EndpointConfig: { IPAMConfig: { IPv4Address: '10.0.0.1' } } },
      reason: /IPAMConfig/,
    },
    twin: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/networks/teamnet/connect',
      body: { Container: 'c1', EndpointConfig: { Aliases: ['db'] } },
    },
  },
  {
    name: 'the host network for a service',
    class: 'allow-list',
    hostile: {
      ...devCreate(spec({ task: { Networks: [{ Target: 'hostnet' }] } })),
      reason: /host network needs fullControl/,
    },
    twin: devCreate(spec({ task: { Networks: [{ Target: 'teamnet' }] } })),
  },
  {
    name: "another collection's network",
    class: 'allow-list',
    hostile: {
      ...devCreate(spec({ task: { Networks: [{ Target: 'othernet' }] } })),
      reason: /network othernet in \/Shared\/other/,
    },
    twin: devCreate(spec({ task: { Networks: [{ Target: 'teamnet' }] } })),
  },
  {
    name: "another collection's secret",
    class: 'allow-list',
    hostile: {
      ...devCreate(
        spec({ container: { Secrets: [{ SecretID: 's1', SecretName: 's1', File: { Name: 's1' } }] } }),
      ),
      reason: /secret s1 in \/Shared\/other/,
    },
    twin: devCreate(
      spec({ container: { Secrets: [{ SecretID: 's2', SecretName: 's2', File: { Name: 's2' } }] } }),
    ),
  },

  // The effect, not the body.
  {
    name: 'a rollback puts back a previous spec with a bind mount, whatever the body says',
    class: 'effects',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web/update?version=3&rollback=previous',
      body: baseSpec(),
      reason: /Mounts\[1\]\.Type="bind"/,
    },
    twin: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web2/update?version=3&rollback=previous',
      body: baseSpec(),
    },
  },
  {
    name: 'the engine reads the first rollback parameter',
    class: 'effects',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web/update?rollback=previous&rollback=none',
      body: baseSpec(),
      reason: /Mounts\[1\]\.Type="bind"/,
    },
    twin: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web/update?rollback=none&rollback=previous',
      body: baseSpec(),
    },
  },
  {
    name: 'a rollback that moves the service to another collection',
    class: 'effects',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web3/update?rollback=previous',
      body: baseSpec(),
      reason: /no create permission on \/Shared\/other/,
    },
    twin: { user: 'dev', method: 'POST', uri: '/v1.45/services/web3/update', body: baseSpec() },
  },
  {
    name: 'a rollback to an unsigned image, from the admin',
    class: 'effects',
    hostile: {
      user: 'root',
      method: 'POST',
      uri: '/v1.45/services/web4/update?rollback=previous',
      body: baseSpec(),
      reason: /signed images only/,
    },
    twin: {
      user: 'root',
      method: 'POST',
      uri: '/v1.45/services/web2/update?rollback=previous',
      body: baseSpec(),
    },
  },
  {
    name: 'a rollback with nothing to roll back to',
    class: 'effects',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web5/update?rollback=previous',
      body: baseSpec(),
      reason: /no previous spec/,
    },
    twin: { user: 'dev', method: 'POST', uri: '/v1.45/services/web5/update', body: baseSpec() },
  },
  {
    name: 'a container start on API 1.23 may carry host settings (engines before 25 apply them)',
    class: 'effects',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.23/containers/c1/start',
      body: null,
      reason: /below 1\.24/,
    },
    twin: { user: 'dev', method: 'POST', uri: '/v1.24/containers/c1/start', body: null },
  },
  {
    name: 'exec into a container of another collection',
    class: 'effects',
    hostile: {
      user: 'full',
      method: 'POST',
      uri: '/v1.45/containers/c2/exec',
      body: { Cmd: ['sh'] },
      reason: /no exec permission on \/Shared\/other/,
    },
    twin: { user: 'full', method: 'POST', uri: '/v1.45/containers/c3/exec', body: { Cmd: ['sh'] } },
  },
  {
    name: 'starting an exec made in another collection',
    class: 'effects',
    hostile: {
      user: 'full',
      method: 'POST',
      uri: '/v1.45/exec/e2/start',
      body: { Detach: false },
      reason: /no exec permission on \/Shared\/other/,
    },
    twin: { user: 'full', method: 'POST', uri: '/v1.45/exec/e3/start', body: { Detach: false } },
  },
  {
    name: 'files into a container of another collection',
    class: 'effects',
    hostile: {
      user: 'full',
      method: 'PUT',
      uri: '/v1.45/containers/c2/archive?path=/',
      reason: /no exec permission on \/Shared\/other/,
    },
    twin: { user: 'full', method: 'PUT', uri: '/v1.45/containers/c3/archive?path=/' },
  },
  {
    name: "a task container whose own label claims another collection belongs to its service's",
    class: 'effects',
    hostile: {
      user: 'full',
      method: 'POST',
      uri: '/v1.45/containers/c4/exec',
      body: { Cmd: ['sh'] },
      reason: /container c4 in \/Shared\/team/,
    },
    twin: { user: 'full', method: 'POST', uri: '/v1.45/containers/c3/exec', body: { Cmd: ['sh'] } },
  },
  {
    name: 'attach to a container of another collection',
    class: 'effects',
    hostile: {
      user: 'full',
      method: 'POST',
      uri: '/v1.45/containers/c2/attach?stream=1',
      reason: /no exec permission on \/Shared\/other/,
    },
    twin: { user: 'full', method: 'POST', uri: '/v1.45/containers/c3/attach?stream=1' },
  },

  // No free passes.
  {
    name: "eectl's registry image for another service, from the admin",
    class: 'free passes',
    hostile: {
      ...create('root', {
        Name: 'miner',
        Labels: {},
        TaskTemplate: { ContainerSpec: { Image: OWN_IMAGE, Args: ['sh'] } },
      }),
      reason: /signed images only/,
    },
    twin: create('root', {
      Name: 'eectl-registry',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: OWN_IMAGE } },
    }),
  },
  {
    name: "eectl's registry image from a non-admin",
    class: 'free passes',
    hostile: { ...devCreate(spec({ container: { Image: OWN_IMAGE } })), reason: /signed images only/ },
    twin: devCreate(baseSpec()),
  },
  ...(
    [
      ['a registry login check', 'POST', '/v1.45/auth'],
      ['a digest look-up on a registry', 'GET', '/v1.45/distribution/docker.io/library/alpine/json'],
      ['an image search', 'GET', '/v1.45/images/search?term=x'],
      ['an image pull', 'POST', '/v1.45/images/create?fromImage=alpine'],
      ['plugin privileges (read from a registry)', 'GET', '/v1.45/plugins/privileges?remote=x'],
    ] as const
  ).map(([what, method, uri]): CorpusCase => ({
    name: `an outbound call from a non-admin: ${what}`,
    class: 'free passes',
    hostile: { user: 'full', method, uri, body: null, reason: /reach out to the network/ },
    twin: { user: 'root', method, uri, body: null },
  })),
  {
    name: 'a plugin pull runs code no signature covers: refused for the admin too while signed images are required',
    class: 'free passes',
    hostile: {
      user: 'root',
      method: 'POST',
      uri: '/v1.45/plugins/pull?remote=evil/plugin',
      body: null,
      reason: /refused for everyone while requireSigned/,
    },
    twin: { user: 'root', method: 'POST', uri: '/v1.45/plugins/foo/disable', body: null },
  },
  {
    name: 'a build runs containers on the manager: refused for the admin too while signed images are required',
    class: 'free passes',
    hostile: {
      user: 'root',
      method: 'POST',
      uri: '/v1.45/build?networkmode=host',
      body: null,
      reason: /refused for everyone while requireSigned/,
    },
    twin: { user: 'root', method: 'POST', uri: '/v1.45/build/prune', body: null },
  },
  {
    name: 'a container created through a manager runs on it',
    class: 'free passes',
    hostile: {
      ...create(
        'full',
        { Image: signedImage, Labels: { 'eectl.collection': '/Shared/full' } },
        '/v1.45/containers/create',
      ),
      reason: /managers are in \/System/,
    },
    twin: create('root', { Image: signedImage }, '/v1.45/containers/create'),
  },

  // Placement.
  {
    name: 'a service without placement constraints',
    class: 'placement',
    hostile: { ...devCreate(spec({ task: { Placement: {} } })), reason: /kept off the managers/ },
    twin: devCreate(withPlacement(PIN)),
  },
  {
    name: 'a service placed on managers',
    class: 'placement',
    hostile: {
      ...devCreate(withPlacement(['node.role==manager', 'node.labels.eectl.collection==/Shared'])),
      reason: /kept off the managers/,
    },
    twin: devCreate(withPlacement(['node.role!=manager', 'node.labels.eectl.collection==/Shared'])),
  },
  {
    name: 'fullControl does not lift placement',
    class: 'placement',
    hostile: {
      ...create(
        'full',
        fullSpec({ task: { Placement: { Constraints: ['node.labels.eectl.collection==/Shared'] } } }),
      ),
      reason: /kept off the managers/,
    },
    twin: create('full', fullSpec({ container: { CapabilityAdd: ['NET_ADMIN'] } })),
  },
  {
    name: 'pinned to the managers’ collection',
    class: 'placement',
    hostile: {
      ...devCreate(withPlacement(['node.role==worker', 'node.labels.eectl.collection==/System'])),
      reason: /node collection \/System is not one this user may schedule on/,
    },
    twin: devCreate(withPlacement(['NODE.ROLE == Worker', 'node.labels.eectl.collection == /Shared'])),
  },
  {
    name: "the managers' and registry hosts' collection in another case (swarmkit compares values without case)",
    class: 'placement',
    hostile: {
      ...create('root-wide', withPlacement(['node.role==worker', 'node.labels.eectl.collection==/system'])),
      reason: /node collection \/system is not one this user may schedule on/,
    },
    twin: create('root-wide', withPlacement(['node.role==worker', 'node.labels.eectl.collection==/Shared'])),
  },
  {
    name: "pinned to another team's nodes",
    class: 'placement',
    hostile: {
      ...create(
        'full',
        fullSpec({
          task: {
            Placement: { Constraints: ['node.role==worker', 'node.labels.eectl.collection==/Private/ops'] },
          },
        }),
      ),
      reason: /not one this user may schedule on/,
    },
    twin: create(
      'full',
      fullSpec({
        task: {
          Placement: { Constraints: ['node.role==worker', 'node.labels.eectl.collection==/Shared/full'] },
        },
      }),
    ),
  },
  {
    name: 'a label name in another case pins nothing (label names are exact to swarmkit)',
    class: 'placement',
    hostile: {
      ...devCreate(withPlacement(['node.role==worker', 'node.labels.EECTL.COLLECTION==/Shared'])),
      reason: /must name the node collection/,
    },
    twin: devCreate(withPlacement(['node.role==worker', 'NODE.LABELS.eectl.collection==/Shared'])),
  },
  {
    name: 'a constraint the engine cannot parse',
    class: 'placement',
    hostile: {
      ...devCreate(withPlacement([...PIN, 'node.role=worker'])),
      reason: /not one the engine reads/,
    },
    twin: devCreate(withPlacement([...PIN, 'node.hostname!=w9'])),
  },
  {
    name: 'a rollback to a previous spec with no placement',
    class: 'placement',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web6/update?rollback=previous',
      body: baseSpec(),
      reason: /kept off the managers/,
    },
    twin: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web2/update?rollback=previous',
      body: baseSpec(),
    },
  },

  // Fail closed.
  {
    name: 'a body the engine did not pass (chunked, over 1 MiB, another content type)',
    class: 'fail closed',
    hostile: { ...devCreate(null), reason: /passed no request body/ },
    twin: devCreate(baseSpec()),
  },
  {
    name: 'a service update whose body the engine did not pass',
    class: 'fail closed',
    hostile: {
      user: 'dev',
      method: 'POST',
      uri: '/v1.45/services/web/update?x=/auth',
      body: null,
      reason: /passed no request body/,
    },
    twin: { user: 'dev', method: 'POST', uri: '/v1.45/services/web/update?x=/auth', body: baseSpec() },
  },
  {
    name: 'a resource that does not exist',
    class: 'fail closed',
    hostile: { user: 'dev', method: 'DELETE', uri: '/v1.45/services/nope', reason: /not found/ },
    twin: { user: 'dev', method: 'DELETE', uri: '/v1.45/services/web' },
  },
  {
    name: 'a user the policy does not know',
    class: 'fail closed',
    hostile: { user: 'mallory', method: 'GET', uri: '/v1.45/info', reason: /not in the access policy/ },
    twin: { user: 'viewer', method: 'GET', uri: '/v1.45/info' },
  },
];
