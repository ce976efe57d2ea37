import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOW_LIST, readBody } from '../../../src/lib/access/allow-list.js';
import { fold } from '../../../src/lib/access/json-fields.js';
import { ROUTES, routeRequest, type BodyKind } from '../../../src/lib/access/routes.js';
import { baseSpec } from '../../helpers/access-corpus.js';

const fixtures = join(import.meta.dirname, '../../fixtures/engine-api');
/** The engine's request bodies per API version, field paths from its swagger (moby v20.10.27–v26.1.5). */
const BODIES = JSON.parse(readFileSync(join(fixtures, 'bodies.json'), 'utf8')) as Record<
  string,
  Record<string, [string, string][]>
>;
/** The engine's routes per API version, in registration order. */
const ENGINE_ROUTES = JSON.parse(readFileSync(join(fixtures, 'routes.json'), 'utf8')) as Record<
  string,
  [string, string][]
>;

const SWAGGER_BODY: Record<BodyKind, string> = {
  service: 'ServiceSpec',
  network: 'NetworkCreateRequest',
  volume: 'VolumeCreateOptions',
  secret: 'SecretSpec',
  config: 'ConfigSpec',
  'container-update': 'ContainerUpdate',
  endpoint: 'NetworkConnectRequest',
};
/** Rows of fields the engine's Go types have and its swagger does not describe, each with why. */
const NOT_IN_SWAGGER: Record<string, string> = {
  // POST /networks/{id}/disconnect shares the 'endpoint' table: its body is {Container, Force}.
  'endpoint Force': 'NetworkDisconnectRequest.Force',
  // API 1.48's field, which the docker CLI 28 sends (zero) at every API version.
  'endpoint EndpointConfig.GwPriority': 'EndpointSettings.GwPriority',
};

describe('the allow-list, checked against the engine’s API types (API 1.41–1.51)', () => {
  it('names only fields the engine has: a row that matches no field would admit nothing', () => {
    const unknown: string[] = [];
    for (const [kind, rows] of Object.entries(ALLOW_LIST) as [BodyKind, typeof ALLOW_LIST.service][]) {
      const known = new Set(
        Object.values(BODIES).flatMap((v) => (v[SWAGGER_BODY[kind]] ?? []).map(([p]) => fold(p))),
      );
      for (const row of rows) {
        if (!known.has(fold(row.path)) && !NOT_IN_SWAGGER[`${kind} ${row.path}`])
          unknown.push(`${kind} ${row.path}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('admits each row in a body a real client sends (removing any row fails this test)', () => {
    // One body per kind that uses every row with a value it admits: the CLI's service spec plus the
    // fields it sends for other flags, and the other kinds' fields.
    const service = baseSpec();
    const task = service.TaskTemplate as Record<string, unknown>;
    Object.assign(task.ContainerSpec as Record<string, unknown>, {
      Labels: { a: 'b' },
      Command: ['sh'],
      Dir: '/',
      Groups: ['10'],
      Privileges: { Seccomp: { Mode: 'default' }, AppArmor: { Mode: 'default' }, NoNewPrivileges: true },
      TTY: false,
      OpenStdin: false,
      StopSignal: 'SIGTERM',
      Healthcheck: {
        Test: ['CMD', 'true'],
        Interval: 1,
        Timeout: 1,
        Retries: 1,
        StartPeriod: 1,
        StartInterval: 1,
      },
      DNSConfig: { Nameservers: ['1.1.1.1'], Search: ['x'], Options: ['ndots:1'] },
      Configs: [{ File: { Name: 'c', UID: '0', GID: '0', Mode: 292 }, ConfigID: 'c', ConfigName: 'c' }],
      Isolation: 'default',
      Mounts: [
        {
          Type: 'volume',
          Source: 'v',
          Target: '/v',
          ReadOnly: true,
          Consistency: 'default',
          VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: {} } },
        },
        { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 1023 } },
      ],
    });
    Object.assign(task, {
      Resources: {
        Limits: { NanoCPUs: 1, MemoryBytes: 1, Pids: 1 },
        Reservations: { NanoCPUs: 1, MemoryBytes: 1 },
      },
      RestartPolicy: { Condition: 'any', Delay: 1, MaxAttempts: 1, Window: 1 },
      Placement: {
        Constraints: ['node.role==worker'],
        Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
        MaxReplicas: 1,
        Platforms: [{ Architecture: 'amd64', OS: 'linux' }],
      },
      Runtime: 'container',
      Networks: [{ Target: 'n', Aliases: ['a'] }],
    });
    const services = [
      service,
      {
        Mode: { Global: {} },
        Networks: [{ Target: 'n', Aliases: ['a'] }],
        UpdateConfig: { Delay: 1 },
        RollbackConfig: { Delay: 1 },
      },
      {
        Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
        EndpointSpec: {
          Ports: [{ Name: 'http', Protocol: 'tcp', TargetPort: 1, PublishedPort: 1, PublishMode: 'host' }],
        },
      },
      { Mode: { GlobalJob: {} } },
    ];
    const bodies: [BodyKind, unknown][] = [
      ...services.map((s): [BodyKind, unknown] => ['service', s]),
      [
        'network',
        {
          Name: 'n',
          CheckDuplicate: true,
          Driver: 'overlay',
          Scope: 'swarm',
          Internal: false,
          Attachable: true,
          Ingress: false,
          ConfigOnly: false,
          IPAM: { Driver: 'default', Options: {}, Config: [] },
          EnableIPv6: false,
          Options: { encrypted: '' },
          Labels: { a: 'b' },
        },
      ],
      ['volume', { Name: 'v', Driver: 'local', DriverOpts: {}, Labels: { a: 'b' } }],
      ['secret', { Name: 's', Labels: { a: 'b' }, Data: 'eA==' }],
      ['config', { Name: 'c', Labels: { a: 'b' }, Data: 'eA==' }],
      [
        'container-update',
        {
          CpuShares: 1,
          Memory: 1,
          NanoCpus: 1,
          CpuPeriod: 1,
          CpuQuota: 1,
          CpusetCpus: '0',
          CpusetMems: '0',
          MemoryReservation: 1,
          MemorySwap: 1,
          PidsLimit: 1,
          RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
        },
      ],
      ['endpoint', { Container: 'c', Force: false, EndpointConfig: { Aliases: ['a'] } }],
      // What the docker CLI 28 sends for `docker network connect --alias db teamnet c1`.
      [
        'endpoint',
        {
          Container: 'c1',
          EndpointConfig: {
            IPAMConfig: {},
            Links: null,
            Aliases: ['db'],
            MacAddress: '',
            DriverOpts: {},
            GwPriority: 0,
            NetworkID: '',
            EndpointID: '',
            Gateway: '',
            IPAddress: '',
            IPPrefixLen: 0,
            IPv6Gateway: '',
            GlobalIPv6Address: '',
            GlobalIPv6PrefixLen: 0,
            DNSNames: null,
          },
        },
      ],
    ];
    const used = new Set<string>();
    for (const [kind, body] of bodies) {
      const reading = readBody(kind, body);
      expect(reading.findings, kind).toEqual([]);
      for (const path of reading.used) used.add(`${kind} ${path}`);
    }
    const rows = (Object.entries(ALLOW_LIST) as [BodyKind, typeof ALLOW_LIST.service][]).flatMap(
      ([kind, list]) => list.map((r) => `${kind} ${r.path}`),
    );
    expect(rows.filter((r) => !used.has(r))).toEqual([]);

    // The mutation check itself: without any one row, one of these bodies is refused.
    const survivors: string[] = [];
    for (const [kind, list] of Object.entries(ALLOW_LIST) as [BodyKind, typeof ALLOW_LIST.service][]) {
      list.forEach((row, i) => {
        const without = list.filter((_, j) => j !== i);
        const refused = bodies.some(
          ([k, body]) => k === kind && readBody(kind, body, without).findings.length > 0,
        );
        if (!refused) survivors.push(`${kind} ${row.path}`);
      });
    }
    expect(survivors).toEqual([]);
  });

  it('refuses what it does not list, and names the field', () => {
    expect(readBody('service', { Name: 'x', Surprise: 1 }).findings).toEqual([
      'Surprise (not on the allow-list)',
    ]);
    expect(
      readBody('service', { TaskTemplate: { ContainerSpec: { Mounts: [{ Source: '/' }] } } }).findings,
    ).toEqual([
      'TaskTemplate.ContainerSpec.Mounts[0].Type is missing (the engine reads a mount without a Type as a bind mount of a host path)',
    ]);
    expect(readBody('service', [1]).findings).toEqual(['the body is not a JSON object']);
  });
});

describe('the route table, checked against the engine’s routers (API 1.41–1.51)', () => {
  const ours = ROUTES.map(([method, template]) => `${method} ${template}`);

  it('knows every route of every version, so admins reach everything the engine serves', () => {
    const missing = Object.entries(ENGINE_ROUTES).flatMap(([version, routes]) =>
      routes
        .map(([m, t]) => `${m} ${t}`)
        .filter((r) => !ours.includes(r))
        .map((r) => `${version}: ${r}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no route the engine lacks, in the engine’s order (the first match wins)', () => {
    const all = [...new Set(Object.values(ENGINE_ROUTES).flatMap((r) => r.map(([m, t]) => `${m} ${t}`)))];
    expect(ours.filter((r) => !all.includes(r))).toEqual([]);
    // Routes can only both match a request when they share the method and the first path segment (the
    // one route with a variable first segment is OPTIONS's): their order must be the engine's, in every
    // version. (Engine 28 moved whole routers, grpc and debug, whose routes collide with no other.)
    const group = (m: string, t: string) => `${m} ${t.split('/')[1]}`;
    for (const routes of Object.values(ENGINE_ROUTES)) {
      const groups = new Map<string, number[]>();
      for (const [m, t] of routes) {
        groups.set(group(m, t), [...(groups.get(group(m, t)) ?? []), ours.indexOf(`${m} ${t}`)]);
      }
      for (const order of groups.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('places each route of the engine with a filled-in path, versioned and not', () => {
    for (const [method, template] of [...ENGINE_ROUTES['1.45']!, ...ENGINE_ROUTES['1.51']!]) {
      const path = template.replace(/\{[a-z]+(:[^}]+)?\}/gi, 'x1');
      const plain = routeRequest(method === 'ANY' ? 'GET' : method, path);
      expect(plain.op.type, `${method} ${path}`).not.toBe('unknown');
      if (method !== 'ANY') {
        expect(routeRequest(method, `/v1.51${path}`).op.type, `${method} /v1.51${path}`).not.toBe('unknown');
      }
    }
  });
});
