import { describe, expect, it } from 'vitest';
import { parseNodeInspect, type SwarmNode } from '../../../src/lib/swarm/nodes.js';
import { chooseRebalance } from '../../../src/lib/swarm/rebalance.js';
import {
  describeSettings,
  judgeSpread,
  parsePlacedServices,
  replaceTimeoutMs,
  type PlacedService,
  type ServiceSpread,
} from '../../../src/lib/swarm/spread.js';
import type { SwarmTask } from '../../../src/lib/swarm/tasks.js';

/** A node as `docker node inspect` prints it, reduced by the real parser. */
function node(
  hostname: string,
  extra: {
    role?: 'manager' | 'worker';
    availability?: string;
    state?: string;
    labels?: Record<string, string>;
    arch?: string;
    logPlugins?: string[];
  } = {},
): SwarmNode {
  return parseNodeInspect(
    JSON.stringify([
      {
        ID: `id-${hostname}`,
        Spec: {
          Role: extra.role ?? (hostname.startsWith('m') ? 'manager' : 'worker'),
          Availability: extra.availability ?? 'active',
          Labels: extra.labels ?? {},
        },
        Description: {
          Hostname: hostname,
          Platform: { Architecture: extra.arch ?? 'x86_64', OS: 'linux' },
          Engine: {
            EngineVersion: '26.1.5',
            Plugins: (extra.logPlugins ?? ['json-file', 'journald']).map((Name) => ({ Type: 'Log', Name })),
          },
        },
        Status: { State: extra.state ?? 'ready', Addr: '10.0.0.1' },
      },
    ]),
  )[0]!;
}

/** A replicated service as `docker service inspect` prints it, reduced by the real parser. */
function service(name: string, replicas: number, spec: Record<string, unknown> = {}): PlacedService {
  const { placement, ports, resources, logDriver, mounts, update, status, mode } = spec as {
    placement?: Record<string, unknown>;
    ports?: unknown[];
    resources?: unknown;
    logDriver?: string;
    mounts?: unknown[];
    update?: unknown;
    status?: unknown;
    mode?: unknown;
  };
  return parsePlacedServices(
    JSON.stringify([
      {
        ID: `${name}-id`,
        Spec: {
          Name: name,
          Mode: mode ?? { Replicated: { Replicas: replicas } },
          TaskTemplate: {
            ContainerSpec: { Image: 'busybox', ...(mounts && { Mounts: mounts }) },
            ...(placement && { Placement: placement }),
            ...(resources !== undefined && { Resources: resources }),
            ...(logDriver && { LogDriver: { Name: logDriver } }),
            ForceUpdate: 0,
          },
          UpdateConfig: update ?? {
            Parallelism: 1,
            FailureAction: 'pause',
            Monitor: 5000000000,
            MaxFailureRatio: 0,
            Order: 'stop-first',
          },
          ...(ports && { EndpointSpec: { Mode: 'vip', Ports: ports } }),
        },
        ...(status !== undefined && { UpdateStatus: status }),
      },
    ]),
  )[0]!;
}

let taskCount = 0;
/** Running tasks of a service on the named nodes (one per name). */
const tasksOf = (s: PlacedService, ...on: string[]): SwarmTask[] =>
  on.map((hostname) => ({
    id: `t${++taskCount}`,
    serviceId: s.id,
    nodeId: `id-${hostname}`,
    desiredState: 'running',
    state: 'running',
  }));

const spreadOf = (
  s: PlacedService,
  nodes: SwarmNode[],
  tasks: SwarmTask[],
  others: PlacedService[] = [],
): ServiceSpread => judgeSpread([s, ...others], nodes, tasks).find((x) => x.name === s.name)!;

const counts = (s: ServiceSpread) => s.nodes.map((n) => `${n.node} ${n.tasks}`).join(', ');

const NODES = [node('m1'), node('w1'), node('w2'), node('w3')];

describe('how evenly a replicated service is spread over the nodes that could run it', () => {
  it('even when no eligible node has 2 tasks more than another; uneven at 2', () => {
    const web = service('web', 4);
    expect(spreadOf(web, NODES, tasksOf(web, 'm1', 'w1', 'w2', 'w3'))).toMatchObject({
      verdict: 'even',
      running: 4,
      desired: 4,
    });
    // 2 on w1 and 1 elsewhere is even; 2 on w1 and none on m1 is not.
    const five = service('web', 5);
    expect(spreadOf(five, NODES, tasksOf(five, 'w1', 'w1', 'w2', 'w3', 'm1')).verdict).toBe('even');
    expect(spreadOf(web, NODES, tasksOf(web, 'w1', 'w1', 'w2', 'w3')).verdict).toBe('uneven');
    const crowded = spreadOf(web, NODES, tasksOf(web, 'w1', 'w1', 'w2', 'w2'));
    expect(crowded.verdict).toBe('uneven');
    expect(counts(crowded)).toBe('w1 2, w2 2, m1 0, w3 0');
  });

  it('fewer replicas than nodes: one on each of some nodes is even', () => {
    const api = service('api', 2);
    expect(spreadOf(api, NODES, tasksOf(api, 'w1', 'w2')).verdict).toBe('even');
    expect(spreadOf(api, NODES, tasksOf(api, 'w1', 'w1')).verdict).toBe('uneven');
  });

  it('counts running tasks only: one starting or shutting down is not counted', () => {
    const web = service('web', 3);
    const tasks = tasksOf(web, 'w1', 'w1', 'w2', 'w3');
    tasks[1]!.state = 'starting';
    expect(counts(spreadOf(web, NODES, tasks))).toBe('w1 1, w2 1, w3 1, m1 0');
    tasks[1]!.state = 'running';
    tasks[1]!.desiredState = 'shutdown';
    expect(spreadOf(web, NODES, tasks).running).toBe(3);
  });

  it('drained, paused and down nodes cannot take a task: they are not counted', () => {
    const web = service('web', 4);
    const nodes = [
      node('w1'),
      node('w2'),
      node('w3', { availability: 'drain' }),
      node('w4', { availability: 'pause' }),
      node('w5', { state: 'down' }),
    ];
    const spread = spreadOf(web, nodes, tasksOf(web, 'w1', 'w1', 'w2', 'w2'));
    expect(counts(spread)).toBe('w1 2, w2 2');
    expect(spread.verdict).toBe('even');
    // The node comes back: it is eligible with no task.
    nodes[2] = node('w3');
    expect(spreadOf(web, nodes, tasksOf(web, 'w1', 'w1', 'w2', 'w2')).verdict).toBe('uneven');
  });

  it('only nodes that meet the constraints count: workers only, a label, an engine label', () => {
    const workers = service('web', 4, { placement: { Constraints: ['node.role==worker'] } });
    // Two on each worker, none on the manager: even for a worker-only service.
    const tasks = tasksOf(workers, 'w1', 'w1', 'w2', 'w2');
    const nodes = [node('m1'), node('w1'), node('w2')];
    expect(spreadOf(workers, nodes, tasks)).toMatchObject({ verdict: 'even' });
    expect(counts(spreadOf(workers, nodes, tasks))).toBe('w1 2, w2 2');
    const anywhere = service('web', 4);
    expect(spreadOf(anywhere, nodes, tasksOf(anywhere, 'w1', 'w1', 'w2', 'w2')).verdict).toBe('uneven');

    const zoned = service('db', 3, { placement: { Constraints: ['node.labels.zone==a'] } });
    const zones = [node('w1', { labels: { zone: 'A' } }), node('w2', { labels: { zone: 'a' } }), node('w3')];
    expect(counts(spreadOf(zoned, zones, tasksOf(zoned, 'w1', 'w1', 'w1')))).toBe('w1 3, w2 0');
  });

  it('at most one task per node with a host-mode port: never uneven; nodes where another service holds the port do not count', () => {
    const port = [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }];
    const proxy = service('proxy', 2, { ports: port });
    const other = service('other', 1, { ports: port });
    const tasks = [...tasksOf(proxy, 'w1', 'w2'), ...tasksOf(other, 'w3')];
    const spread = spreadOf(proxy, NODES, tasks, [other]);
    expect(spread).toMatchObject({ verdict: 'even', maxPerNode: 1 });
    expect(counts(spread)).toBe('w1 1, w2 1, m1 0');
    // The same port over udp, an ingress-mode port and a host port picked by the engine do not limit.
    const udp = service('dns', 1, { ports: [{ ...port[0]!, Protocol: 'udp' }] });
    const ingress = service('web', 1, { ports: [{ ...port[0]!, PublishMode: 'ingress' }] });
    const dynamic = service('agent', 1, { ports: [{ ...port[0]!, PublishedPort: 0 }] });
    expect(spreadOf(udp, NODES, tasks, [proxy, other]).nodes).toHaveLength(4);
    expect(spreadOf(ingress, NODES, tasks, [proxy, other]).maxPerNode).toBe(0);
    expect(spreadOf(dynamic, NODES, tasks, [proxy, other]).maxPerNode).toBe(0);
  });

  it('max replicas per node: the cap is shown, and a node below it by 2 is still uneven', () => {
    const capped = service('web', 4, { placement: { MaxReplicas: 2 } });
    const nodes = [node('w1'), node('w2'), node('w3')];
    const even = spreadOf(capped, nodes, tasksOf(capped, 'w1', 'w1', 'w2', 'w3'));
    expect(even).toMatchObject({ verdict: 'even', maxPerNode: 2 });
    expect(spreadOf(capped, nodes, tasksOf(capped, 'w1', 'w1', 'w2', 'w2')).verdict).toBe('uneven');
    // Two nodes at their cap of 2: as even as it can be.
    expect(spreadOf(capped, [node('w1'), node('w2')], tasksOf(capped, 'w1', 'w1', 'w2', 'w2')).verdict).toBe(
      'even',
    );
  });

  it("the image's platforms: only nodes of one count (x86_64 is amd64)", () => {
    const amd = service('web', 2, { placement: { Platforms: [{ Architecture: 'amd64', OS: 'linux' }] } });
    const nodes = [node('w1'), node('w2', { arch: 'aarch64' }), node('w3')];
    expect(counts(spreadOf(amd, nodes, tasksOf(amd, 'w1', 'w3')))).toBe('w1 1, w3 1');
  });

  it('a log driver that a node does not list rules the node out (a node listing none is not filtered)', () => {
    const logs = service('web', 2, { logDriver: 'gelf' });
    const nodes = [node('w1', { logPlugins: ['gelf'] }), node('w2'), node('w3', { logPlugins: [] })];
    expect(counts(spreadOf(logs, nodes, tasksOf(logs, 'w1', 'w3')))).toBe('w1 1, w3 1');
  });

  it('not judged: constraints eectl does not evaluate, preferences, reservations, volume plugins', () => {
    const cases: [PlacedService, string][] = [
      [
        service('a', 2, { placement: { Constraints: ['node.ip==10.0.0.21'] } }),
        'eectl does not judge node.ip',
      ],
      [
        service('b', 2, {
          placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] },
        }),
        'placement preferences',
      ],
      [service('c', 2, { resources: { Reservations: { MemoryBytes: 1 << 30 } } }), 'reserves resources'],
      [
        service('d', 2, {
          mounts: [{ Type: 'volume', Source: 'x', VolumeOptions: { DriverConfig: { Name: 'rexray' } } }],
        }),
        'rexray',
      ],
    ];
    for (const [s, why] of cases) {
      const spread = spreadOf(s, NODES, tasksOf(s, 'w1', 'w1'));
      expect(spread.verdict, s.name).toBe('not-judged');
      expect(spread.reason, s.name).toContain(why);
      // Shown where its tasks run, not judged.
      expect(counts(spread)).toBe('w1 2');
    }
    // Reservations of nothing, and local volumes, are judged.
    const judged = service('e', 2, {
      resources: { Reservations: {}, Limits: { MemoryBytes: 1 } },
      mounts: [{ Type: 'volume', Source: 'x', VolumeOptions: { DriverConfig: { Name: 'local' } } }],
    });
    expect(spreadOf(judged, NODES, tasksOf(judged, 'w1', 'w1')).verdict).toBe('uneven');
  });

  it('a service whose update is under way or paused is left alone; a finished or rolled-back one is judged', () => {
    for (const State of ['updating', 'paused', 'rollback_started', 'rollback_paused']) {
      const s = service('web', 2, { status: { State, Message: 'update paused due to failure' } });
      expect(spreadOf(s, NODES, tasksOf(s, 'w1', 'w1')).verdict, State).toBe('updating');
    }
    for (const State of ['completed', 'rollback_completed']) {
      const s = service('web', 2, { status: { State } });
      expect(spreadOf(s, NODES, tasksOf(s, 'w1', 'w1')).verdict, State).toBe('uneven');
    }
  });

  it('global services and jobs are not listed', () => {
    const agent = service('agent', 0, { mode: { Global: {} } });
    const job = service('migrate', 0, { mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } });
    expect(judgeSpread([agent, job], NODES, tasksOf(agent, 'w1', 'w2'))).toEqual([]);
  });
});

describe('reading services from `docker service inspect`', () => {
  it('takes the update settings as the swarm applies them', () => {
    const defaults = parsePlacedServices(
      JSON.stringify([{ ID: 's', Spec: { Name: 's', Mode: { Replicated: {} } } }]),
    );
    expect(defaults[0]?.update).toEqual({
      parallelism: 1,
      delaySeconds: 0,
      order: 'stop-first',
      failureAction: 'pause',
    });
    const all = service('web', 3, {
      update: { Parallelism: 0, Delay: 10e9, Order: 'start-first', FailureAction: 'rollback' },
    });
    expect(describeSettings(all.update)).toBe(
      'all tasks at once, start-first, 10s apart, on failure: rollback',
    );
    expect(describeSettings(service('web', 3).update)).toBe(
      '1 task at a time, stop-first, on failure: pause',
    );
  });

  it('waits for a service as long as its size needs: 600 s at least, 120 s per batch plus the delay', () => {
    expect(replaceTimeoutMs(service('web', 3))).toBe(600_000);
    expect(replaceTimeoutMs(service('web', 50))).toBe(50 * 120_000);
    const paced = service('web', 10, { update: { Parallelism: 2, Delay: 10e9 } });
    expect(replaceTimeoutMs(paced)).toBe(5 * 130_000);
    expect(replaceTimeoutMs(service('web', 50, { update: { Parallelism: 0 } }))).toBe(600_000);
  });
});

describe('what eectl rebalance chooses', () => {
  const web = service('web', 4);
  const api = service('api', 2, { placement: { Constraints: ['node.ip==10.0.0.21'] } });
  const db = service('db', 2);
  const busy = service('busy', 2, { status: { State: 'updating' } });
  const agent = service('agent', 0, { mode: { Global: {} } });
  const services = [web, api, db, busy, agent];
  const tasks = [
    ...tasksOf(web, 'w1', 'w1', 'w1', 'w2'),
    ...tasksOf(api, 'w1', 'w1'),
    ...tasksOf(db, 'w1', 'w2'),
    ...tasksOf(busy, 'w1', 'w1'),
  ];
  const spreads = judgeSpread(services, NODES, tasks);
  const names = (xs: ServiceSpread[]) => xs.map((s) => s.name);

  it('without names: the uneven services only', () => {
    const choice = chooseRebalance(services, spreads, []);
    expect(names(choice.planned)).toEqual(['web']);
    expect(names(choice.shown)).toEqual(['api', 'busy', 'db', 'web']);
  });

  it('named: uneven or not judged ones (by name, ID or ID prefix), not an even one', () => {
    const choice = chooseRebalance(services, spreads, ['api', 'db', 'web-id', 'web']);
    expect(names(choice.planned)).toEqual(['api', 'web']);
    expect(names(choice.shown)).toEqual(['api', 'db', 'web']);
    expect(names(chooseRebalance(services, spreads, ['ap']).planned)).toEqual(['api']);
  });

  it('refuses an unknown, global or updating service by name, before any change', () => {
    expect(() => chooseRebalance(services, spreads, ['nope'])).toThrow(
      expect.objectContaining({ code: 'ESERVICE_UNKNOWN', exitCode: 2 }),
    );
    expect(() => chooseRebalance(services, spreads, ['agent'])).toThrow(
      expect.objectContaining({ code: 'ESERVICE_NOT_REPLICATED', exitCode: 2 }),
    );
    expect(() => chooseRebalance(services, spreads, ['busy', 'web'])).toThrow(
      expect.objectContaining({ code: 'ESERVICE_UPDATING', exitCode: 3 }),
    );
    // "a" starts the IDs of api and agent.
    expect(() => chooseRebalance(services, spreads, ['a'])).toThrow(
      expect.objectContaining({ code: 'ESERVICE_UNKNOWN' }),
    );
  });
});
