import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { AccessCheckResult, AuditEntry } from '../../src/lib/results/access.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl } from '../helpers/cli.js';
import { curlEngine, refusedByPlugin } from './helpers/curl.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

interface InstallJson {
  converged: boolean;
  changes: { host: string; description: string }[];
}

/** One engine API request of the test, sent raw with a user's bundle and asked of `eectl access check`. */
interface ApiCall {
  user: string;
  method: string;
  path: string;
  body?: unknown;
  /** What the test expects the managers to answer. */
  allow: boolean;
  on?: string;
}

const ACCESS = {
  users: [
    { name: 'root', admin: true },
    { name: 'viewer' },
    { name: 'dev' },
    { name: 'full' },
    { name: 'gone' },
    { name: 'wide' },
  ],
  teams: [{ name: 'team-a', members: ['dev'] }],
  grants: [
    { user: 'viewer', role: 'viewOnly', collection: '/Shared' },
    { team: 'team-a', role: 'restrictedControl', collection: '/Shared/team' },
    // The workers are the node collection /Shared (install labels them): services run only where the
    // owner may schedule.
    { team: 'team-a', role: 'scheduler', collection: '/Shared' },
    { user: 'full', role: 'fullControl', collection: '/Shared/full' },
    { user: 'full', role: 'scheduler', collection: '/Shared' },
    { user: 'gone', role: 'viewOnly', collection: '/Shared' },
    // Everything but /System, as the file allows (a grant on / never reaches /System).
    { user: 'wide', role: 'restrictedControl', collection: '/' },
  ],
};

/** The placement every non-admin service must carry: workers of the node collection /Shared. */
const PIN = ['node.role==worker', 'node.labels.eectl.collection==/Shared'];
/** The same as docker CLI flags. */
const PIN_FLAGS = PIN.flatMap((c) => ['--constraint', c]);

/*
 * The hostile-request corpus, sent with the real curl (client certificates from the users' bundles, the
 * request target raw with --request-target, the body byte for byte with --data-binary) to m1's TCP API.
 * Every hostile request must be refused by the plugin (403, `authorization denied by plugin eectl-authz`
 * and the reason fragment), and every one has a twin, the same request made harmless, which the plugin
 * must let through (a 2xx answer, or with `ok: false` an error of the engine's own). A few request shapes
 * the engine never routes (method case, trailing slash, `//`, dot segments, unknown paths): the engine
 * answers them itself without asking the plugin, and nothing is created.
 *
 * Placeholders, filled in per request: {{name}} (a fresh name per request), {{image}} (the busybox image),
 * {{spec:S}} and {{version:S}} (service S as the engine has it now).
 */

/** A request as curl sends it. */
interface RawRequest {
  user: string;
  method: string;
  target: string;
  body?: string;
}
interface CorpusCase {
  class: string;
  /** Refused by the plugin with this reason fragment, or answered by the engine's router (`unrouted`). */
  hostile: RawRequest & ({ reason: string } | { unrouted: number });
  /** The same request made harmless: not refused by the plugin; 2xx unless `ok: false`. */
  twin: RawRequest & { ok?: false };
}

const TEAM = { 'eectl.collection': '/Shared/team' };
const json = (v: unknown) => JSON.stringify(v);
/** A service of team-a in /Shared/team, pinned as required, with no replicas (nothing runs); `more` adds to its parts. */
const service = (more: { container?: object; task?: object; top?: object } = {}) =>
  json({
    Name: '{{name}}',
    Labels: TEAM,
    TaskTemplate: {
      ContainerSpec: { Image: '{{image}}', Command: ['sleep', '3600'], ...more.container },
      Placement: { Constraints: PIN },
      ...more.task,
    },
    Mode: { Replicated: { Replicas: 0 } },
    ...more.top,
  });
const BIND = service({ container: { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] } });
const VOLUME = service({ container: { Mounts: [{ Type: 'volume', Source: 'hc-data', Target: '/data' }] } });
const BIND_REASON = 'TaskTemplate.ContainerSpec.Mounts[0].Type="bind" (admitted: "volume" or "tmpfs")';
const pinned = (constraints: string[]) => service({ task: { Placement: { Constraints: constraints } } });
/** Every key of a JSON text in lower case (label keys and values are left alone: they are not followed by `:` or are lower case). */
const lowerKeys = (text: string) =>
  text.replace(/"([A-Za-z]+)":/g, (_, k: string) => `"${k.toLowerCase()}":`);
const HARMLESS_TASK = json({ ContainerSpec: { Image: '{{image}}' }, Placement: { Constraints: PIN } });
/** dev creates a service: the hostile body, and its twin's. */
const devCreate = (target: string, hostile: string, reason: string, twin = VOLUME) => ({
  hostile: { user: 'dev', method: 'POST', target, body: hostile, reason },
  twin: { user: 'dev', method: 'POST', target, body: twin },
});
const create = (hostile: string, reason: string, twin: string) =>
  devCreate('/v1.41/services/create', hostile, reason, twin);
/** dev creates a network, volume, secret or config. */
const devObject = (kind: string, hostile: object, reason: string, twin: object) => ({
  hostile: { user: 'dev', method: 'POST', target: `/v1.41/${kind}/create`, body: json(hostile), reason },
  twin: { user: 'dev', method: 'POST', target: `/v1.41/${kind}/create`, body: json(twin) },
});
/** Asked by dev and refused as reaching out, asked by the admin and answered by the engine (which fails to reach 127.0.0.1:9). */
const outbound = (method: string, target: string, reason: string, body?: string) => ({
  hostile: { user: 'dev', method, target, ...(body !== undefined && { body }), reason },
  twin: { user: 'root', method, target, ...(body !== undefined && { body }), ok: false as const },
});
/** A request shape the engine's router never serves: it answers `status` itself, the plugin is not asked. */
const unrouted = (method: string, target: string, status: number) => ({
  hostile: { user: 'dev', method, target, body: BIND, unrouted: status },
  twin: { user: 'dev', method: 'POST', target: '/v1.41/services/create', body: VOLUME },
});

const CORPUS: CorpusCase[] = [
  // Request targets the engine routes like /v1.41/services/create (the old plugin read them as unknown).
  { class: 'version prefix with three parts', ...devCreate('/v1.41.0/services/create', BIND, BIND_REASON) },
  { class: 'version prefix with leading zeros', ...devCreate('/v01.041/services/create', BIND, BIND_REASON) },
  { class: 'no version prefix', ...devCreate('/services/create', BIND, BIND_REASON) },
  { class: 'absolute-form target', ...devCreate('http://x/v1.41/services/create', BIND, BIND_REASON) },
  { class: 'percent-encoded path', ...devCreate('/v1.41/%73ervices/create', BIND, BIND_REASON) },
  { class: 'percent-encoded version', ...devCreate('/v1%2E41/services/create', BIND, BIND_REASON) },
  {
    class: 'API version the plugin does not know, as the admin',
    hostile: {
      user: 'root',
      method: 'GET',
      target: '/v1.99/info',
      reason: 'API version 1.99 is not one this plugin knows',
    },
    twin: { user: 'root', method: 'GET', target: '/v1.41/info' },
  },
  {
    class: 'query the engine refuses (;), as the admin',
    hostile: {
      user: 'root',
      method: 'GET',
      target: '/v1.41/services?a=1;b=2',
      reason: 'refused for everyone (fail closed)',
    },
    twin: { user: 'root', method: 'GET', target: '/v1.41/services?a=1&b=2' },
  },
  // Shapes the router never serves: no plugin decision, nothing created.
  { class: 'lower-case method', ...unrouted('post', '/v1.41/services/create', 404) },
  { class: 'trailing slash', ...unrouted('POST', '/v1.41/services/create/', 404) },
  { class: 'double slash', ...unrouted('POST', '//v1.41/services/create', 301) },
  { class: 'dot segment', ...unrouted('POST', '/v1.41/services/./create', 301) },
  {
    class: 'unknown endpoint, as the admin',
    hostile: { user: 'root', method: 'GET', target: '/v1.41/no-such-endpoint', unrouted: 404 },
    twin: { user: 'root', method: 'GET', target: '/v1.41/version' },
  },
  // Bodies read as Go's JSON decoder reads them.
  { class: 'field names in lower case', ...create(lowerKeys(BIND), BIND_REASON, lowerKeys(VOLUME)) },
  {
    class: 'long s (U+017F) in a field name',
    ...create(
      BIND.replace('"Mounts"', '"Mount\u017f"'),
      BIND_REASON,
      VOLUME.replace('"Mounts"', '"Mount\u017f"'),
    ),
  },
  {
    class: 'Kelvin sign (U+212A) in a field name',
    ...create(
      BIND.replace('"TaskTemplate"', '"Tas\u212aTemplate"'),
      BIND_REASON,
      VOLUME.replace('"TaskTemplate"', '"Tas\u212aTemplate"'),
    ),
  },
  {
    class: 'a key named twice (Go merges both)',
    ...create(
      BIND.replace(/}$/, `,"TaskTemplate":${HARMLESS_TASK}}`),
      'names the field TaskTemplate twice',
      VOLUME,
    ),
  },
  {
    class: 'a key named twice in two spellings',
    ...create(
      BIND.replace(/}$/, `,"taskTemplate":${HARMLESS_TASK}}`),
      'twice (as TaskTemplate and taskTemplate)',
      VOLUME,
    ),
  },
  {
    class: 'mount without Type (a bind mount to the engine)',
    ...create(
      service({ container: { Mounts: [{ Source: '/', Target: '/host' }] } }),
      'Mounts[0].Type is missing',
      VOLUME,
    ),
  },
  {
    class: 'mount with Type null (absent to the engine)',
    ...create(
      service({ container: { Mounts: [{ Type: null, Source: '/', Target: '/host' }] } }),
      'Mounts[0].Type is missing',
      VOLUME,
    ),
  },
  {
    class: 'mount Type in upper case',
    ...create(
      service({ container: { Mounts: [{ Type: 'BIND', Source: '/', Target: '/host' }] } }),
      'Mounts[0].Type="BIND"',
      VOLUME,
    ),
  },
  {
    class: 'volume mount of the local driver binding the host root',
    ...create(
      service({
        container: {
          Mounts: [
            {
              Type: 'volume',
              Source: 'hc-root',
              Target: '/host',
              VolumeOptions: {
                DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } },
              },
            },
          ],
        },
      }),
      'VolumeOptions.DriverConfig.Options=',
      service({
        container: {
          Mounts: [
            {
              Type: 'volume',
              Source: 'hc-vol',
              Target: '/data',
              VolumeOptions: { DriverConfig: { Name: 'local' } },
            },
          ],
        },
      }),
    ),
  },
  // Confinement and host settings.
  {
    class: 'seccomp custom profile',
    ...create(
      service({ container: { Privileges: { Seccomp: { Mode: 'custom', Profile: 'e30=' } } } }),
      'Privileges.Seccomp.Mode="custom"',
      service({ container: { Privileges: { Seccomp: { Mode: 'default' } } } }),
    ),
  },
  {
    class: 'SELinux context',
    ...create(
      service({ container: { Privileges: { SELinuxContext: { Disable: true } } } }),
      'Privileges.SELinuxContext (not on the allow-list)',
      service({ container: { Privileges: { NoNewPrivileges: true } } }),
    ),
  },
  {
    class: 'AppArmor disabled',
    ...create(
      service({ container: { Privileges: { AppArmor: { Mode: 'disabled' } } } }),
      'Privileges.AppArmor.Mode="disabled"',
      service({ container: { Privileges: { AppArmor: { Mode: 'default' } } } }),
    ),
  },
  {
    class: 'sysctls',
    ...create(
      service({ container: { Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } } }),
      'ContainerSpec.Sysctls (not on the allow-list)',
      service({ container: { Hostname: 'hc' } }),
    ),
  },
  {
    class: 'ulimits',
    ...create(
      service({ container: { Ulimits: [{ Name: 'nofile', Soft: 1048576, Hard: 1048576 }] } }),
      'ContainerSpec.Ulimits (not on the allow-list)',
      service(),
    ),
  },
  {
    class: 'added capability',
    ...create(
      service({ container: { CapabilityAdd: ['CAP_SYS_ADMIN'] } }),
      'ContainerSpec.CapabilityAdd (not on the allow-list)',
      service({ container: { CapabilityDrop: ['CAP_NET_RAW'] } }),
    ),
  },
  {
    class: 'host network',
    ...create(
      service({ task: { Networks: [{ Target: 'host' }] } }),
      'the host network needs fullControl on /Shared/team',
      service({ task: { Networks: [{ Target: 'hc-team-net' }] } }),
    ),
  },
  {
    class: 'port published through the ingress (on managers too)',
    ...create(
      service({
        top: {
          EndpointSpec: {
            Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30080, PublishMode: 'ingress' }],
          },
        },
      }),
      'PublishMode="ingress"',
      service({
        top: {
          EndpointSpec: {
            Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30081, PublishMode: 'host' }],
          },
        },
      }),
    ),
  },
  {
    class: 'port without PublishMode (the ingress by default)',
    ...create(
      service({
        top: { EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30082 }] } },
      }),
      'PublishMode is missing',
      service({
        top: {
          EndpointSpec: {
            Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30083, PublishMode: 'host' }],
          },
        },
      }),
    ),
  },
  {
    class: 'syslog log driver',
    ...create(
      service({
        task: { LogDriver: { Name: 'syslog', Options: { 'syslog-address': 'udp://127.0.0.1:514' } } },
      }),
      'LogDriver.Name="syslog"',
      service({ task: { LogDriver: { Name: 'json-file', Options: { 'max-size': '1m' } } } }),
    ),
  },
  {
    class: 'plugin runtime',
    ...create(
      service({
        task: { Runtime: 'plugin', PluginSpec: { Name: 'hc/plugin', Remote: '127.0.0.1:9/hc/plugin:1' } },
      }),
      'Runtime="plugin"',
      service({ task: { Runtime: 'container' } }),
    ),
  },
  // Placement: workers of a node collection the owner may schedule on.
  {
    class: 'placement: no constraints',
    ...create(pinned([]), 'must be kept off the managers', service()),
  },
  {
    class: 'placement: on managers',
    ...create(
      pinned(['node.role==manager', 'node.labels.eectl.collection==/Shared']),
      'must be kept off the managers',
      service(),
    ),
  },
  {
    class: 'placement: node collection /System',
    ...create(
      pinned(['node.role==worker', 'node.labels.eectl.collection==/System']),
      'the node collection /System is not one this user may schedule on',
      service(),
    ),
  },
  {
    class: 'placement: a node collection outside the grants (/Shared is inherited, so /Dedicated)',
    ...create(
      pinned(['node.role==worker', 'node.labels.eectl.collection==/Dedicated/full']),
      'the node collection /Dedicated/full is not one this user may schedule on',
      pinned(['node.role==worker', 'node.labels.eectl.collection==/Shared/team']),
    ),
  },
  {
    class: 'placement: the label name in another case (swarmkit reads label names exactly)',
    ...create(
      pinned(['node.role==worker', 'node.labels.EECTL.COLLECTION==/Shared']),
      'must name the node collection it runs on',
      service(),
    ),
  },
  {
    class: 'placement: the label prefix in another case (swarmkit ignores its case)',
    ...create(
      pinned(['node.role==worker', 'NODE.LABELS.eectl.collection==/System']),
      'the node collection /System is not one this user may schedule on',
      pinned(['node.role==worker', 'NODE.LABELS.eectl.collection==/Shared']),
    ),
  },
  {
    class:
      'placement: /System in another case, from a user granted / (swarmkit compares values without case)',
    hostile: {
      user: 'wide',
      method: 'POST',
      target: '/v1.41/services/create',
      body: pinned(['node.role==worker', 'node.labels.eectl.collection==/SYSTEM']),
      reason: 'the node collection /SYSTEM is not one this user may schedule on',
    },
    twin: {
      user: 'wide',
      method: 'POST',
      target: '/v1.41/services/create',
      body: pinned(['node.role==worker', 'node.labels.eectl.collection==/Shared']),
    },
  },
  {
    class: 'an isolation mode',
    ...create(
      service({ container: { Isolation: 'hyperv' } }),
      'ContainerSpec.Isolation="hyperv"',
      service({ container: { Isolation: 'default' } }),
    ),
  },
  {
    class: 'a credential spec',
    ...create(
      service({ container: { Privileges: { CredentialSpec: { Config: 'x' } } } }),
      'Privileges.CredentialSpec (not on the allow-list)',
      service({ container: { Privileges: { CredentialSpec: null } } }),
    ),
  },
  {
    class: 'generic resources (devices)',
    ...create(
      service({
        task: {
          Resources: {
            Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }] },
          },
        },
      }),
      'GenericResources (not on the allow-list)',
      service({ task: { Resources: { Reservations: { MemoryBytes: 8388608 } } } }),
    ),
  },
  // Other kinds of object.
  {
    class: 'an ingress network (replaces the routing mesh of every node)',
    ...devObject(
      'networks',
      { Name: '{{name}}', Driver: 'overlay', Ingress: true, Labels: TEAM },
      'Ingress=true',
      { Name: '{{name}}', Driver: 'overlay', Ingress: false, Labels: TEAM },
    ),
  },
  {
    class: 'macvlan network (on the manager itself)',
    ...devObject(
      'networks',
      { Name: '{{name}}', Driver: 'macvlan', Options: { parent: 'eth0' }, Labels: TEAM },
      'Driver="macvlan"',
      { Name: '{{name}}', Driver: 'overlay', Labels: TEAM },
    ),
  },
  {
    class: 'network without a Driver (a bridge on the manager)',
    ...devObject('networks', { Name: '{{name}}', Labels: TEAM }, 'Driver is missing', {
      Name: '{{name}}',
      Driver: 'overlay',
      Labels: TEAM,
    }),
  },
  {
    class: 'volume with driver options (bind of the host root)',
    ...devObject(
      'volumes',
      {
        Name: '{{name}}',
        Driver: 'local',
        DriverOpts: { type: 'none', o: 'bind', device: '/' },
        Labels: TEAM,
      },
      'DriverOpts=',
      { Name: '{{name}}', Driver: 'local', Labels: TEAM },
    ),
  },
  {
    class: 'secret with a driver',
    ...devObject(
      'secrets',
      { Name: '{{name}}', Labels: TEAM, Data: 'aGM=', Driver: { Name: 'hc-driver' } },
      'Driver (not on the allow-list)',
      { Name: '{{name}}', Labels: TEAM, Data: 'aGM=' },
    ),
  },
  {
    class: 'config with templating',
    ...devObject(
      'configs',
      { Name: '{{name}}', Labels: TEAM, Data: 'aGM=', Templating: { Name: 'golang' } },
      'Templating (not on the allow-list)',
      { Name: '{{name}}', Labels: TEAM, Data: 'aGM=' },
    ),
  },
  // Effects that are not in the body.
  {
    class: 'rollback to a previous spec with a bind mount',
    hostile: {
      user: 'dev',
      method: 'POST',
      target: '/v1.41/services/hc-rb/update?version={{version:hc-rb}}&rollback=previous',
      body: '{{spec:hc-rb}}',
      reason: BIND_REASON,
    },
    twin: {
      user: 'dev',
      method: 'POST',
      target: '/v1.41/services/hc-rb-ok/update?version={{version:hc-rb-ok}}&rollback=previous',
      body: '{{spec:hc-rb-ok}}',
    },
  },
  {
    class: 'container create by a non-admin (it runs on the manager)',
    hostile: {
      user: 'dev',
      method: 'POST',
      target: '/v1.41/containers/create?name={{name}}',
      body: json({ Image: '{{image}}', Cmd: ['sleep', '1'], Labels: TEAM }),
      reason: 'containers created through this API run on a manager',
    },
    twin: {
      user: 'root',
      method: 'POST',
      target: '/v1.41/containers/create?name={{name}}',
      body: json({ Image: '{{image}}', Cmd: ['sleep', '1'], Labels: TEAM }),
    },
  },
  {
    class: 'container start on API 1.23 (host settings in the body)',
    hostile: {
      user: 'dev',
      method: 'POST',
      target: '/v1.23/containers/hc-start/start',
      body: json({ Binds: ['/:/host'], Privileged: true }),
      reason: 'on API version 1.23 (below 1.24) may carry host settings',
    },
    twin: { user: 'dev', method: 'POST', target: '/v1.41/containers/hc-start/start' },
  },
  {
    class: 'exec into a container without the exec permission',
    hostile: {
      user: 'dev',
      method: 'POST',
      target: '/v1.41/containers/hc-start/exec',
      body: json({ Cmd: ['id'] }),
      reason: 'dev has no exec permission on /Shared/team',
    },
    twin: {
      user: 'root',
      method: 'POST',
      target: '/v1.41/containers/hc-start/exec',
      body: json({ Cmd: ['id'] }),
    },
  },
  // Calls that make the manager reach out to the network: admins only.
  {
    class: 'registry login check',
    ...outbound(
      'POST',
      '/v1.41/auth',
      'reach out to the network',
      json({ username: 'x', password: 'y', serveraddress: '127.0.0.1:9' }),
    ),
  },
  {
    class: 'distribution look-up',
    ...outbound('GET', '/v1.41/distribution/127.0.0.1:9/hc:1/json', 'reach out to the network'),
  },
  {
    class: 'image search',
    ...outbound('GET', '/v1.41/images/search?term=127.0.0.1:9/hc', 'reach out to the network'),
  },
  {
    class: 'image pull',
    ...outbound('POST', '/v1.41/images/create?fromImage=127.0.0.1:9/hc&tag=1', 'reach out to the network'),
  },
  {
    class: 'plugin pull',
    ...outbound('POST', '/v1.41/plugins/pull?remote=127.0.0.1:9/hc/plugin:1', 'are for admins only', '[]'),
  },
  { class: 'image build', ...outbound('POST', '/v1.41/build', 'are for admins only') },
];

describe('access control: users, teams, grants and collections enforced by the managers’ plugin', () => {
  const sandbox = useSandbox({ name: 'access', managers: 2, workers: 1 });
  let work = '';
  let file = '';
  let image = '';
  /** Every raw request of the test, with the engine's answer, for the agreement with `access check`. */
  const asked: (ApiCall & { engineAllowed: boolean })[] = [];
  const address = (hostname: string) => sandbox.host(hostname).address;
  const bundle = (user: string) => join(work, `bundle-${user}`);

  const writeFile = (access: unknown) => {
    const doc = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: Record<string, unknown> };
    doc.spec.access = access;
    writeFileSync(file, stringify(doc));
  };
  const install = async (): Promise<InstallJson> => {
    const r = await runEectl(['install', '-c', file, '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return r.json?.result as InstallJson;
  };
  /** The docker CLI of this machine with a user's bundle, against a manager's API. */
  const docker = (user: string, args: string[], on = 'm1') =>
    runLocal('docker', args, {
      check: false,
      timeoutMs: 120_000,
      env: {
        DOCKER_CONFIG: join(work, 'docker-config'),
        DOCKER_CONTEXT: '',
        DOCKER_HOST: `tcp://${address(on)}:2376`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: bundle(user),
      },
    });
  const denied = (r: { code: number; stderr: string }) =>
    r.code !== 0 && r.stderr.includes('authorization denied by plugin eectl-authz');
  /** A raw engine API request with a user's bundle (or none): the status and the body. */
  const raw = (call: { user?: string; method: string; path: string; body?: unknown; on?: string }) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const text = call.body === undefined ? undefined : JSON.stringify(call.body);
      const dir = call.user === undefined ? undefined : bundle(call.user);
      const req = request(
        {
          host: address(call.on ?? 'm1'),
          port: 2376,
          method: call.method,
          path: call.path,
          ca: readFileSync(join(bundle('root'), 'ca.pem')),
          ...(dir && { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }),
          headers:
            text === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
          timeout: 90_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  /** Sends a request to the engine, checks the managers' answer, and keeps it for `access check`. */
  const expectAnswer = async (call: ApiCall) => {
    const r = await raw(call);
    const refused = refusedByPlugin({ status: r.status, message: r.text });
    asked.push({ ...call, engineAllowed: !refused });
    expect(!refused, `${call.user} ${call.method} ${call.path}: ${r.status} ${r.text}`).toBe(call.allow);
    return r;
  };
  const pid = async (host: string, unit: string) =>
    (await sandbox.exec(host, `systemctl show -p MainPID --value ${unit}`)).stdout.trim();
  const serviceSpec = (
    name: string,
    collection: string | undefined,
    containerSpec: Record<string, unknown> = {},
    task: Record<string, unknown> = {},
  ) => ({
    Name: name,
    Labels: collection === undefined ? {} : { 'eectl.collection': collection },
    TaskTemplate: {
      ContainerSpec: { Image: image, Command: ['sleep', '3600'], ...containerSpec },
      Placement: { Constraints: PIN },
      ...task,
    },
    Mode: { Replicated: { Replicas: 1 } },
  });

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-access-'));
    file = join(work, 'cluster.yaml');
    writeFile(ACCESS);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('installs the plugin on every manager before the engine first starts, and bundles only for users of the file', async () => {
    const started = Date.now();
    await install();
    console.log(`fresh install with access control: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const user of ['root', 'viewer', 'dev', 'full', 'gone', 'wide']) {
      const r = await runEectl([
        'client-config',
        '-c',
        file,
        '--user',
        user,
        '--out',
        bundle(user),
        '--context',
        `e2e-access-${user}`,
        '--json',
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const stranger = await runEectl([
      'client-config',
      '-c',
      file,
      '--user',
      'mallory',
      '--out',
      join(work, 'b-mallory'),
      '--json',
    ]);
    expect(stranger.code).toBe(2);
    expect(stranger.json?.error?.code).toBe('EACCESS_USER');
    // A second run changes nothing.
    expect((await install()).converged).toBe(true);
    // The local socket is root's break-glass path; it also loads the test image (no registry involved).
    image = await loadBusybox(sandbox, ['m1', 'm2', 'w1']);
    image = (await sandbox.exec('w1', `docker image inspect --format '{{.Id}}' ${image}`)).stdout.trim();
    for (const m of ['m1', 'm2']) {
      const daemon = JSON.parse((await sandbox.exec(m, 'cat /etc/docker/daemon.json')).stdout) as Record<
        string,
        unknown
      >;
      expect(daemon['authorization-plugins']).toEqual(['eectl-authz']);
      expect(
        (
          await sandbox.exec(m, 'systemctl is-active eectl-authz; systemctl is-enabled eectl-authz')
        ).stdout.trim(),
      ).toBe('active\nenabled');
      // The engine started once, after the plugin, and never needed a restart for it.
      const t = await sandbox.exec(
        m,
        'systemctl show -p ActiveEnterTimestampMonotonic --value eectl-authz docker',
      );
      // systemctl show separates units with a blank line.
      const [plugin, engine] = t.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(Number);
      expect(plugin!).toBeLessThan(engine!);
      expect((await sandbox.exec(m, 'systemctl show -p NRestarts --value docker')).stdout.trim()).toBe('0');
    }
    expect(
      (await sandbox.exec('w1', 'test -e /opt/eectl/authz/node && echo yes || echo no')).stdout.trim(),
    ).toBe('no');
  });

  it('a TCP client without a certificate never reaches the break-glass case', async () => {
    await expect(raw({ method: 'GET', path: '/v1.41/swarm' })).rejects.toThrow();
    expect(await pid('m1', 'eectl-authz')).not.toBe('0');
  });

  it('viewOnly lists services, but docker service create is refused with the plugin’s message', async () => {
    const ls = await docker('viewer', ['service', 'ls']);
    expect(ls.code, ls.stderr).toBe(0);
    const create = await docker('viewer', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'v1',
      '--label',
      'eectl.collection=/Shared/team',
      image,
    ]);
    expect(denied(create), create.stderr).toBe(true);
    expect(create.stderr).toMatch(/viewer has no create permission on \/Shared\/team/);
    await expectAnswer({ user: 'viewer', method: 'GET', path: '/v1.41/services', allow: true });
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('v2', '/Shared/team'),
      allow: false,
    });
  });

  it('restrictedControl creates in its collection, but no host bind mount, no added capability, no host network', async () => {
    const ok = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web',
      '--label',
      'eectl.collection=/Shared/team',
      ...PIN_FLAGS,
      image,
      'sleep',
      '3600',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const bind = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web-b',
      '--label',
      'eectl.collection=/Shared/team',
      ...PIN_FLAGS,
      '--mount',
      'type=bind,src=/,dst=/host',
      image,
    ]);
    expect(denied(bind), bind.stderr).toBe(true);
    expect(bind.stderr).toContain(
      'TaskTemplate.ContainerSpec.Mounts[0].Type="bind" (admitted: "volume" or "tmpfs"): this needs fullControl on /Shared/team (restrictedControl admits only the fields known to be safe)',
    );
    const caps = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web-c',
      '--label',
      'eectl.collection=/Shared/team',
      ...PIN_FLAGS,
      '--cap-add',
      'NET_ADMIN',
      image,
    ]);
    expect(denied(caps), caps.stderr).toBe(true);
    expect(caps.stderr).toMatch(/TaskTemplate\.ContainerSpec\.CapabilityAdd \(not on the allow-list\)/);
    const hostNet = await docker('dev', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web-h',
      '--label',
      'eectl.collection=/Shared/team',
      ...PIN_FLAGS,
      '--network',
      'host',
      image,
    ]);
    expect(denied(hostNet), hostNet.stderr).toBe(true);
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-ok', '/Shared/team'),
      allow: true,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-b', '/Shared/team', {
        Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }],
      }),
      allow: false,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-c', '/Shared/team', { CapabilityAdd: ['CAP_NET_ADMIN'] }),
      allow: false,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-h', '/Shared/team', {}, { Networks: [{ Target: 'host' }] }),
      allow: false,
    });
    await expectAnswer({
      user: 'dev',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('raw-n', undefined),
      allow: false,
    });
    // The same bind mount in the collection where the user has fullControl is fine.
    await expectAnswer({
      user: 'full',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('fullsvc', '/Shared/full', {
        Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/host' }],
      }),
      allow: true,
    });
  });

  it("restrictedControl cannot change another collection's service", async () => {
    const update = await docker('dev', ['service', 'update', '--detach', '--label-add', 'x=y', 'fullsvc']);
    expect(denied(update), update.stderr).toBe(true);
    await expectAnswer({ user: 'dev', method: 'DELETE', path: '/v1.41/services/fullsvc', allow: false });
    await expectAnswer({ user: 'dev', method: 'DELETE', path: '/v1.41/services/raw-ok', allow: true });
  });

  it("an ingress host name stays with the collection routed for it first: another team's claim is refused by the plugin", async () => {
    const routed = (name: string, collection: string, host: string) => {
      const spec = serviceSpec(name, collection);
      return {
        ...spec,
        Labels: { ...spec.Labels, 'eectl.http.host': host, 'eectl.http.port': '8080' },
        Mode: { Replicated: { Replicas: 0 } },
      };
    };
    const create = (user: string, body: unknown, allow: boolean) =>
      expectAnswer({ user, method: 'POST', path: '/v1.41/services/create', body, allow });
    const first = await create('full', routed('route-full', '/Shared/full', 'claimed.example.org'), true);
    expect(first.status, first.text).toBe(201);
    const rival = await create('dev', routed('route-dev', '/Shared/team', 'claimed.example.org'), false);
    expect(rival.status).toBe(403);
    expect(rival.text).toContain(
      'host claimed.example.org is claimed by service route-full of collection /Shared/full',
    );
    const free = await create('dev', routed('route-dev-free', '/Shared/team', 'free.example.org'), true);
    expect(free.status, free.text).toBe(201);
    // Taking the host by a label update of a service that exists is refused the same way.
    const update = await docker('dev', [
      'service',
      'update',
      '--detach',
      '--label-add',
      'eectl.http.host=claimed.example.org',
      'route-dev-free',
    ]);
    expect(denied(update), update.stderr).toBe(true);
    expect(update.stderr).toContain('claimed by service route-full');
  });

  /** A request of the corpus sent with the real curl to m1 (with `user`'s bundle): status and the engine's message. */
  const curl = async (req: RawRequest, fill: (text: string) => Promise<string>) =>
    curlEngine(address('m1'), bundle(req.user), {
      method: req.method,
      target: await fill(req.target),
      ...(req.body !== undefined && { body: await fill(req.body) }),
    });

  it(`the hostile-request corpus (${CORPUS.length} requests with curl, each with its allowed twin): every one refused by the plugin or never routed, every twin let through`, async () => {
    // What the corpus works on: a container of /Shared/team on m1 (made by root on the local socket, as
    // only admins may), a team network, and two services with a previous spec (one with a bind mount).
    await sandbox.exec(
      'm1',
      `docker create --name hc-start --label eectl.collection=/Shared/team ${image} /bin/busybox sleep 3600 >/dev/null`,
      { check: true },
    );
    const asRoot = (method: string, path: string, body?: unknown) =>
      raw({ user: 'root', method, path, ...(body !== undefined && { body }) });
    const net = await asRoot('POST', '/v1.41/networks/create', {
      Name: 'hc-team-net',
      Driver: 'overlay',
      Labels: TEAM,
    });
    expect(net.status, net.text).toBe(201);
    const spec = (name: string, labels: Record<string, string> = {}) => {
      const body = JSON.parse(service().replace('{{image}}', image).replace('{{name}}', name)) as {
        Labels: Record<string, string>;
        TaskTemplate: { ContainerSpec: Record<string, unknown> };
      };
      body.Labels = { ...TEAM, ...labels };
      return body;
    };
    const inspect = async (name: string) => {
      const r = await asRoot('GET', `/v1.41/services/${name}`);
      expect(r.status, r.text).toBe(200);
      return JSON.parse(r.text) as { Version: { Index: number }; Spec: Record<string, unknown> };
    };
    const update = async (name: string, next: unknown) => {
      const r = await asRoot(
        'POST',
        `/v1.41/services/${name}/update?version=${(await inspect(name)).Version.Index}`,
        next,
      );
      expect(r.status, r.text).toBe(200);
    };
    for (const name of ['hc-rb', 'hc-rb-ok']) {
      const r = await asRoot('POST', '/v1.41/services/create', spec(name));
      expect(r.status, r.text).toBe(201);
    }
    const withMounts = (name: string, mounts: unknown[]) => {
      const s = spec(name);
      s.TaskTemplate.ContainerSpec.Mounts = mounts;
      return s;
    };
    // hc-rb: the admin adds a bind mount and takes it away again, so its previous spec has one.
    await update('hc-rb', withMounts('hc-rb', [{ Type: 'bind', Source: '/', Target: '/host' }]));
    await update('hc-rb', spec('hc-rb'));
    await update('hc-rb-ok', spec('hc-rb-ok', { x: 'y' }));

    const fill = (name: string) => async (text: string) => {
      let out = text.replaceAll('{{name}}', name).replaceAll('{{image}}', image);
      for (const [m, what, service] of out.matchAll(/\{\{(spec|version):([a-z0-9-]+)\}\}/g)) {
        const found = await inspect(service!);
        out = out.replace(m, what === 'spec' ? JSON.stringify(found.Spec) : String(found.Version.Index));
      }
      return out;
    };
    const problems: string[] = [];
    let hostile = 0;
    for (const [i, c] of CORPUS.entries()) {
      const h = c.hostile;
      const name = `hc-${i}`;
      const r = await curl(h, fill(name));
      const said = `${c.class}: ${h.user} ${h.method} ${h.target} answered ${r.status} ${r.message.slice(0, 400)}`;
      if ('reason' in h) {
        hostile++;
        if (!refusedByPlugin(r) || !r.message.includes(h.reason))
          problems.push(`${said}\n    (expected the plugin's 403 with "${h.reason}")`);
      } else {
        if (r.status !== h.unrouted || refusedByPlugin(r))
          problems.push(`${said}\n    (expected the engine's own ${h.unrouted}, without the plugin)`);
        if (h.body?.includes('{{name}}') && (await asRoot('GET', `/v1.41/services/${name}`)).status !== 404)
          problems.push(
            `${c.class}: service ${name} exists after a request the engine should not have served`,
          );
      }
      const t = c.twin;
      const tr = await curl(t, fill(`${name}-ok`));
      const twinSaid = `${c.class} (twin): ${t.user} ${t.method} ${t.target} answered ${tr.status} ${tr.message.slice(0, 400)}`;
      if (refusedByPlugin(tr) || (t.ok !== false && (tr.status < 200 || tr.status > 299)))
        problems.push(
          `${twinSaid}\n    (expected ${t.ok === false ? 'no refusal by the plugin' : 'a 2xx answer'})`,
        );
    }
    console.log(
      `hostile-request corpus: ${hostile} refused by the plugin, ${CORPUS.length - hostile} never routed, ${CORPUS.length} twins`,
    );
    expect(problems, problems.join('\n')).toEqual([]);
    expect(hostile).toBeGreaterThanOrEqual(40);
    // The rollback that was refused left hc-rb as it was: no bind mount.
    expect(JSON.stringify((await inspect('hc-rb')).Spec)).not.toContain('"bind"');
    await sandbox.exec(
      'm1',
      [
        'docker service ls -q --filter name=hc- | xargs -r docker service rm >/dev/null',
        'docker ps -aq --filter name=hc- | xargs -r docker rm -f >/dev/null',
        'docker secret ls -q --filter name=hc- | xargs -r docker secret rm >/dev/null',
        'docker config ls -q --filter name=hc- | xargs -r docker config rm >/dev/null',
        'docker volume ls -q --filter name=hc- | xargs -r docker volume rm >/dev/null',
        'sleep 2; docker network ls -q --filter name=hc- | xargs -r docker network rm >/dev/null',
      ].join('; '),
      { check: true },
    );
  });

  it('swarmkit reads the value of a placement pin without regard to case: a service pinned to /shared runs on w1 (/Shared)', async () => {
    const created = await raw({
      user: 'root',
      method: 'POST',
      path: '/v1.41/services/create',
      body: {
        ...serviceSpec('hc-case', undefined),
        TaskTemplate: {
          ContainerSpec: { Image: image, Command: ['/bin/busybox', 'sleep', '3600'] },
          Placement: { Constraints: ['node.role==worker', 'node.labels.eectl.collection==/shared'] },
        },
      },
    });
    expect(created.status, created.text).toBe(201);
    await expect
      .poll(
        async () =>
          (
            await sandbox.exec(
              'm1',
              'docker service ps --filter desired-state=running --format "{{.Node}} {{.CurrentState}}" hc-case',
            )
          ).stdout,
        { timeout: 120_000, interval: 2000 },
      )
      .toMatch(/^w1 Running/);
    await sandbox.exec('m1', 'docker service rm hc-case >/dev/null', { check: true });
  });

  // swarmkit compares the pin without regard to case (the test above), so the plugin does too: no spelling
  // of /System is ever granted, even to a user granted / (which the file allows).
  it('a pin that differs from /System only in case is refused', async () => {
    const body = pinned(['node.role==worker', 'node.labels.eectl.collection==/system'])
      .replaceAll('{{name}}', 'hc-system')
      .replaceAll('{{image}}', image);
    try {
      const r = await curl({ user: 'wide', method: 'POST', target: '/v1.41/services/create', body }, (t) =>
        Promise.resolve(t),
      );
      expect(r.status, r.message).toBe(403);
      expect(r.message).toContain('authorization denied by plugin eectl-authz');
      expect(r.message).toContain('the node collection /system is not one this user may schedule on');
    } finally {
      await sandbox.exec('m1', 'docker service rm hc-system >/dev/null 2>&1 || true');
    }
  });

  it('nobody but the admin drains a node or touches /System', async () => {
    for (const user of ['viewer', 'dev', 'full']) {
      const r = await docker(user, ['node', 'update', '--availability', 'drain', 'w1']);
      expect(denied(r), `${user}: ${r.stderr}`).toBe(true);
    }
    const nodeId = (
      await sandbox.exec('m1', 'docker node inspect --format "{{.ID}} {{.Version.Index}}" w1')
    ).stdout
      .trim()
      .split(' ');
    for (const user of ['viewer', 'dev', 'full']) {
      await expectAnswer({
        user,
        method: 'POST',
        path: `/v1.41/nodes/${nodeId[0]}/update?version=${nodeId[1]}`,
        body: { Role: 'worker', Availability: 'drain' },
        allow: false,
      });
    }
    const drain = await docker('root', ['node', 'update', '--availability', 'drain', 'w1']);
    expect(drain.code, drain.stderr).toBe(0);
    expect((await docker('root', ['node', 'update', '--availability', 'active', 'w1'])).code).toBe(0);
    // A service without a collection label (made as root on the local socket, as eectl's own are) is /System.
    await sandbox.exec(
      'm1',
      `docker service create --detach --no-resolve-image --name sys ${image} sleep 3600`,
    );
    for (const user of ['viewer', 'dev', 'full']) {
      await expectAnswer({ user, method: 'DELETE', path: '/v1.41/services/sys', allow: false });
    }
    await expectAnswer({ user: 'full', method: 'GET', path: '/v1.41/swarm', allow: false });
    await expectAnswer({
      user: 'full',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('sys2', '/System'),
      allow: false,
    });
    await expectAnswer({ user: 'root', method: 'DELETE', path: '/v1.41/services/sys', allow: true });
  });

  it('the plugin killed: the API still refuses what it refused, root keeps the local socket, systemd brings the plugin back without an engine restart', async () => {
    const before = { plugin: await pid('m1', 'eectl-authz'), engine: await pid('m1', 'docker') };
    await sandbox.exec('m1', `kill -9 ${before.plugin}`);
    const create = await docker('viewer', [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'during-kill',
      '--label',
      'eectl.collection=/Shared/team',
      image,
    ]);
    expect(denied(create), create.stderr).toBe(true);
    const local = await sandbox.exec('m1', 'docker info --format "{{.Swarm.LocalNodeState}}"');
    expect(local.stdout.trim()).toBe('active');
    const after = { plugin: await pid('m1', 'eectl-authz'), engine: await pid('m1', 'docker') };
    expect(after.plugin).not.toBe(before.plugin);
    expect(after.engine).toBe(before.engine);
    expect((await docker('root', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim()).toBe(
      'active',
    );
  });

  it('the plugin stopped: the engine refuses the API (fail closed) until it is started again', async () => {
    await sandbox.exec('m2', 'systemctl stop eectl-authz');
    const refused = await docker('root', ['version', '--format', '{{.Server.Version}}'], 'm2');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/plugin eectl-authz failed/);
    await sandbox.exec('m2', 'systemctl start eectl-authz');
    const back = await docker('root', ['version', '--format', '{{.Server.Version}}'], 'm2');
    expect(back.code, back.stderr).toBe(0);
  });

  it('a grant added and a user removed take effect with install, no engine restarted', async () => {
    const engines = { m1: await pid('m1', 'docker'), m2: await pid('m2', 'docker') };
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('granted', '/Shared/team'),
      allow: false,
    });
    expect((await docker('gone', ['service', 'ls'])).code).toBe(0);
    writeFile({
      ...ACCESS,
      users: ACCESS.users.filter((u) => u.name !== 'gone'),
      grants: [
        ...ACCESS.grants.filter((g) => g.user !== 'gone'),
        { user: 'viewer', role: 'restrictedControl', collection: '/Shared/team' },
        { user: 'viewer', role: 'scheduler', collection: '/Shared' },
      ],
    });
    const result = await install();
    expect(
      result.changes.map((c) => c.description).every((d) => d.startsWith('write the access policy')),
    ).toBe(true);
    expect(result.changes).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1500)); // the plugin looks at the file at most once a second
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('granted', '/Shared/team'),
      allow: true,
    });
    await expectAnswer({
      user: 'viewer',
      method: 'POST',
      path: '/v1.41/services/create',
      body: serviceSpec('granted-2', '/Shared/team'),
      allow: true,
      on: 'm2',
    });
    for (const on of ['m1', 'm2']) {
      const r = await docker('gone', ['service', 'ls'], on);
      expect(denied(r), r.stderr).toBe(true);
      expect(r.stderr).toMatch(/gone is not in the access policy/);
    }
    await expectAnswer({ user: 'gone', method: 'GET', path: '/v1.41/services', allow: false });
    expect(
      (await runEectl(['client-config', '-c', file, '--user', 'gone', '--out', join(work, 'b2'), '--json']))
        .code,
    ).toBe(2);
    const policy = JSON.parse((await sandbox.exec('m2', 'cat /etc/eectl/access/policy.json')).stdout) as {
      revoked: { user: string }[];
    };
    expect(policy.revoked.map((r) => r.user)).toEqual(['gone']);
    expect({ m1: await pid('m1', 'docker'), m2: await pid('m2', 'docker') }).toEqual(engines);
  });

  it('eectl access check and the managers agree on every request of the test', async () => {
    expect(asked.length).toBeGreaterThan(20);
    for (const call of asked) {
      const args = [
        'access',
        'check',
        '-c',
        file,
        '--user',
        call.user,
        '--method',
        call.method,
        '--path',
        call.path,
        '--json',
      ];
      if (call.body !== undefined) {
        const bodyFile = join(work, 'body.json');
        writeFileSync(bodyFile, JSON.stringify(call.body));
        args.push('--body', bodyFile);
      }
      // Asked now, after the grant change: the requests made before it are judged by today's policy.
      const r = await runEectl(args);
      const decision = r.json?.result as AccessCheckResult;
      const now = await raw(call);
      const engineNow = !(
        now.status === 403 && now.text.includes('authorization denied by plugin eectl-authz')
      );
      expect(decision.allow, `${call.user} ${call.method} ${call.path}: check says ${decision.reason}`).toBe(
        engineNow,
      );
      expect(r.code).toBe(decision.allow ? 0 : 1);
    }
  });

  it('eectl access log gathers every decision from the managers', async () => {
    const r = await runEectl([
      'access',
      'log',
      '-c',
      file,
      '--user',
      'dev',
      '--denied',
      '--since',
      '1h',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const entries = (r.json?.result as { entries: AuditEntry[] }).entries;
    expect(entries.every((e) => e.user === 'dev' && !e.allow)).toBe(true);
    expect(entries.some((e) => e.reason.includes('Mounts[0].Type="bind"') && e.method === 'POST')).toBe(true);
    const all = await runEectl(['access', 'log', '-c', file, '--since', '1h', '--json']);
    const hosts = new Set((all.json?.result as { entries: AuditEntry[] }).entries.map((e) => e.host));
    expect(hosts).toEqual(new Set([address('m1'), address('m2')]));
  });
});
