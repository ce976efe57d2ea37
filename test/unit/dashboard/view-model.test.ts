import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { ManagerProbe } from '../../../src/lib/engine-api/client.js';
import { buildSnapshot, quorumSentence, type ApiAnswers } from '../../../src/lib/dashboard/view-model.js';

// Answers of a real engine API (20.10, a sandbox of 3 managers and 1 worker with one service `web`).
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'engine-api');
const read = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as unknown[];
const NODES = read('nodes.json');
const SERVICES = read('services.json');
const TASKS = read('tasks.json');
const EVENTS = readFileSync(join(FIXTURES, 'events.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as unknown);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely below
type Raw = Record<string, any>;

const NOW = new Date('2026-12-01T19:45:00Z');
const MANAGERS = ['10.77.0.11', '10.77.0.12', '10.77.0.13'];

function config(extra: { hosts?: { address: string; role: string }[]; engineVersion?: string } = {}) {
  return clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'dev' },
    spec: {
      hosts: [
        ...MANAGERS.map((address) => ({ address, role: 'manager' })),
        { address: '10.77.0.21', role: 'worker' },
        ...(extra.hosts ?? []),
      ],
      ...(extra.engineVersion ? { engine: { version: extra.engineVersion } } : {}),
    },
  });
}

const probe = (address: string, reachable = true): ManagerProbe => ({
  endpoint: `${address}:2376`,
  reachable,
  error: reachable ? undefined : 'no answer within 1500 ms',
  certificateNotAfter: reachable ? '2027-12-01T19:30:00.000Z' : undefined,
  latencyMs: reachable ? 4 : undefined,
});

function answers(over: Partial<ApiAnswers> = {}): ApiAnswers {
  return {
    nodes: NODES,
    services: SERVICES,
    tasks: TASKS,
    events: EVENTS,
    probes: MANAGERS.map((m) => probe(m)),
    registry: [],
    caNotAfter: '2036-11-28T19:30:00.000Z',
    answeredBy: '10.77.0.11:2376',
    errors: {},
    ...over,
  };
}

describe('dashboard view model, from engine API answers', () => {
  it('a healthy cluster: 3 managers in quorum in words, nodes by role with engine and tasks, the service and its tasks', () => {
    const s = buildSnapshot(config(), answers(), NOW);
    expect(s.health).toBe('healthy');
    expect(s.problems).toEqual([]);
    expect(s.warnings).toEqual([]);
    expect(s.quorum).toMatchObject({ managers: 3, reachable: 3, hasQuorum: true, faultTolerance: 1 });
    expect(s.quorum.sentence).toBe(
      'In quorum: 3 of 3 managers reachable; 1 more can fail before the swarm stops being managed.',
    );
    expect(s.quorum.description).toBe('3 managers, tolerates 1 failure, all reachable');
    expect(s.managers.map((m) => [m.hostname, m.leader, m.raft, m.reachable])).toEqual([
      ['m1', true, 'reachable', true],
      ['m2', false, 'reachable', true],
      ['m3', false, 'reachable', true],
    ]);
    expect(s.managers[0]!.certificate).toEqual({
      notAfter: '2027-12-01T19:30:00.000Z',
      daysLeft: 364,
      due: false,
    });
    expect(s.ca?.daysLeft).toBe(3649);
    expect(
      s.nodes.map(
        (n) =>
          `${n.hostname} ${n.role} ${n.state} ${n.availability} ${n.engineVersion} ${n.tasksRunning}/${n.tasksWanted}`,
      ),
    ).toEqual([
      'm1 manager ready active 20.10.24+dfsg1 0/0',
      'm2 manager ready active 20.10.24+dfsg1 0/0',
      'm3 manager ready active 20.10.24+dfsg1 1/1',
      'w1 worker ready active 20.10.24+dfsg1 1/1',
    ]);
    expect(s.services).toHaveLength(1);
    expect(s.services[0]).toMatchObject({
      name: 'web',
      mode: 'replicated',
      desired: 2,
      running: 2,
      image: 'eectl-sandbox/busybox:1.35.0-4_deb12u1_b1',
      digest: undefined,
      collection: 'shared',
      ports: [],
    });
    expect(s.tasks.map((t) => `${t.serviceName}.${t.slot} ${t.nodeHostname} ${t.state}`).sort()).toEqual([
      'web.1 m3 running',
      'web.2 w1 running',
    ]);
    expect(s.drift).toEqual({ missingFromSwarm: [], notInFile: [], engineVersions: [] });
    // Newest first.
    expect(s.events[0]).toMatchObject({ type: 'service', action: 'create', name: 'web' });
    expect(s.events).toHaveLength(EVENTS.length);
  });

  it('a manager whose API does not answer is unreachable at once, before Raft notices: degraded, no margin left', () => {
    const s = buildSnapshot(
      config(),
      answers({ probes: [probe('10.77.0.11'), probe('10.77.0.12'), probe('10.77.0.13', false)] }),
      NOW,
    );
    const m3 = s.managers.find((m) => m.address === '10.77.0.13')!;
    expect(m3).toMatchObject({ hostname: 'm3', raft: 'reachable', apiAnswers: false, reachable: false });
    expect(m3.apiError).toBe('no answer within 1500 ms');
    expect(s.quorum.reachable).toBe(2);
    expect(s.quorum.sentence).toBe(
      'In quorum: 2 of 3 managers reachable; no further manager can fail without losing the quorum.',
    );
    expect(s.health).toBe('degraded');
    expect(s.problems).toContain('manager m3: engine API unreachable (no answer within 1500 ms)');
  });

  it('no manager answers: the page says the API is unreachable, and lists the managers of the file', () => {
    const s = buildSnapshot(
      config(),
      answers({
        nodes: undefined,
        services: undefined,
        tasks: undefined,
        events: undefined,
        probes: MANAGERS.map((m) => probe(m, false)),
        errors: { nodes: "no manager's engine API answers" },
      }),
      NOW,
    );
    expect(s.health).toBe('unreachable');
    expect(s.api).toEqual({
      ok: false,
      answeredBy: '10.77.0.11:2376',
      error: "no manager's engine API answers",
    });
    expect(s.managers.map((m) => [m.address, m.reachable])).toEqual(MANAGERS.map((m) => [m, false]));
    expect(s.quorum.sentence).toBe(
      'QUORUM LOST: 0 of 3 managers reachable, 2 needed. The swarm cannot be managed until 2 managers come back.',
    );
    expect(s.nodes).toEqual([]);
  });

  it('the API answers but the swarm has no leader (503): quorum lost', () => {
    const s = buildSnapshot(
      config(),
      answers({
        nodes: undefined,
        probes: [probe('10.77.0.11'), probe('10.77.0.12', false), probe('10.77.0.13', false)],
        errors: { nodes: 'HTTP 503: rpc error: code = Unknown desc = The swarm does not have a leader.' },
      }),
      NOW,
    );
    expect(s.health).toBe('quorum-lost');
    expect(s.quorum).toMatchObject({ managers: 3, reachable: 1, hasQuorum: false });
    expect(s.problems).toContain(
      'node list: HTTP 503: rpc error: code = Unknown desc = The swarm does not have a leader.',
    );
  });

  it('drift from the file: a host not in the swarm, and engines that are not the file version', () => {
    const s = buildSnapshot(
      config({ hosts: [{ address: '10.77.0.22', role: 'worker' }], engineVersion: '26.1' }),
      answers(),
      NOW,
    );
    expect(s.drift.missingFromSwarm).toEqual(['10.77.0.22']);
    expect(s.drift.engineVersions).toHaveLength(4);
    expect(s.drift.engineVersions[0]).toBe('m1 runs engine 20.10.24+dfsg1, the file says 26.1');
    expect(s.warnings).toContain('10.77.0.22 is in the file but not in the swarm');
  });

  it('a service short of replicas, one with a digest and a paused update, a global one; a failed task keeps its error', () => {
    const web = structuredClone(SERVICES[0]) as Raw;
    web.ServiceStatus = { RunningTasks: 1, DesiredTasks: 3 };
    const api = structuredClone(SERVICES[0]) as Raw;
    api.ID = 'apiid';
    api.Spec.Name = 'shop_api';
    api.Spec.Labels = { 'com.docker.stack.namespace': 'shop', 'eectl.collection': 'team-shop' };
    api.Spec.TaskTemplate.ContainerSpec.Image = 'reg.example:5443/api:1.2@sha256:abcdef0123456789';
    api.UpdateStatus = {
      State: 'paused',
      Message: 'update paused due to failure or early termination of task x',
    };
    api.Endpoint = { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] };
    const agent = structuredClone(SERVICES[0]) as Raw;
    agent.ID = 'agentid';
    agent.Spec.Name = 'agent';
    agent.Spec.Mode = { Global: {} };
    agent.ServiceStatus = { RunningTasks: 4, DesiredTasks: 4 };
    const failed = structuredClone(TASKS[0]) as Raw;
    failed.ID = 'failedtask';
    failed.DesiredState = 'shutdown';
    failed.Status = {
      State: 'failed',
      Err: 'task: non-zero exit (1)',
      Message: 'started',
      Timestamp: '2026-12-01T19:40:00Z',
    };
    const s = buildSnapshot(
      config(),
      answers({ services: [web, api, agent], tasks: [...TASKS, failed] }),
      NOW,
    );
    expect(s.services.map((x) => x.name)).toEqual(['agent', 'shop_api', 'web']);
    const shop = s.services.find((x) => x.name === 'shop_api')!;
    expect(shop).toMatchObject({
      image: 'reg.example:5443/api:1.2',
      digest: 'sha256:abcdef0123456789',
      stack: 'shop',
      collection: 'team-shop',
      updateState: 'paused',
      ports: [{ published: 8080, target: 80, protocol: 'tcp', mode: 'host' }],
    });
    expect(s.services.find((x) => x.name === 'agent')).toMatchObject({
      mode: 'global',
      desired: 4,
      running: 4,
    });
    expect(s.warnings).toContain('service web: 1/3 running');
    expect(s.problems[0]).toMatch(/^service shop_api: update paused/);
    expect(s.health).toBe('degraded');
    expect(s.tasks.find((t) => t.id === 'failedtask')).toMatchObject({
      state: 'failed',
      error: 'task: non-zero exit (1)',
    });
  });

  it('registry replicas: healthy or not, each a problem when it does not answer', () => {
    const s = buildSnapshot(
      config({ hosts: [{ address: '10.77.0.31', role: 'registry' }] }),
      answers({
        registry: [
          { host: '10.77.0.31', url: 'https://10.77.0.31:5443/v2/', healthy: false, detail: 'ECONNREFUSED' },
        ],
      }),
      NOW,
    );
    expect(s.registry.note).toBe('0/1 replicas answer /v2/');
    expect(s.problems).toContain('registry replica https://10.77.0.31:5443/v2/: ECONNREFUSED');
  });

  it('the quorum sentence for 1, 3 and 5 managers', () => {
    expect(quorumSentence(1, 1, true)).toBe(
      'In quorum: 1 of 1 manager reachable; no further manager can fail without losing the quorum.',
    );
    expect(quorumSentence(5, 5, true)).toBe(
      'In quorum: 5 of 5 managers reachable; 2 more can fail before the swarm stops being managed.',
    );
    expect(quorumSentence(3, 1, false)).toBe(
      'QUORUM LOST: 1 of 3 managers reachable, 2 needed. The swarm cannot be managed until a manager comes back.',
    );
    expect(quorumSentence(3, 3, false)).toMatch(/^NO LEADER: 3 of 3 managers reachable/);
  });
});

describe('dashboard view model: the ingress routes', () => {
  /** The fixture's service `web`, again under another name, ID, creation time and labels. */
  const labelled = (name: string, createdAt: string, labels: Record<string, string>): Raw => {
    const web = structuredClone(SERVICES[0]) as Raw;
    return {
      ...web,
      ID: `${name}-id`,
      CreatedAt: createdAt,
      Spec: { ...web.Spec, Name: name, Labels: labels },
      ServiceStatus: { RunningTasks: 1, DesiredTasks: 2 },
    };
  };

  it('shows each host of a routed service with its backends, and a second team’s claim of a host refused with the reason', () => {
    const services = [
      ...SERVICES,
      labelled('shop', '2026-12-01T10:00:00Z', {
        'eectl.collection': '/Shared/web',
        'eectl.http.host': 'shop.example.org,www.example.org',
        'eectl.http.port': '8080',
      }),
      labelled('legacy', '2026-12-01T11:00:00Z', {
        'eectl.collection': '/Shared/api',
        'com.docker.lb.hosts': 'api.example.org',
        'com.docker.lb.port': '8000',
        'com.docker.lb.context_root': '/v1',
      }),
      labelled('thief', '2026-12-01T12:00:00Z', {
        'eectl.collection': '/Shared/api',
        'eectl.http.host': 'shop.example.org',
        'eectl.http.port': '80',
      }),
      labelled('hostile', '2026-12-01T13:00:00Z', {
        'eectl.http.host': 'x.example.org\n  server evil 10.0.0.1:80',
        'eectl.http.port': '80',
      }),
    ];
    const s = buildSnapshot(config(), answers({ services }), NOW);
    expect(s.routes.routes.map((r) => `${r.host}${r.path} → ${r.service} (${r.source})`)).toEqual([
      'api.example.org/v1 → legacy (interlock)',
      'shop.example.org/ → shop (eectl)',
      'www.example.org/ → shop (eectl)',
    ]);
    const shop = s.routes.routes.find((r) => r.service === 'shop')!;
    expect(shop).toMatchObject({ collection: '/Shared/web', tls: 'no' });
    // Its backends are its own service's counts (1 of 2 running here), not another's.
    expect(shop.backends).toEqual({ running: 1, desired: 2 });
    expect(s.routes.refused.map((r) => r.service).sort()).toEqual(['hostile', 'thief']);
    expect(s.routes.refused.find((r) => r.service === 'thief')!.reason).toMatch(/shop\.example\.org/);
  });

  it('has no routes when no service asks for one', () => {
    const s = buildSnapshot(config(), answers(), NOW);
    expect(s.routes).toEqual({ routes: [], refused: [] });
  });
});
