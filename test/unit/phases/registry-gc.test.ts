import { describe, expect, it } from 'vitest';
import { toEectlError } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { ChangeLog } from '../../../src/lib/phases/runner/changes.js';
import { runPhases } from '../../../src/lib/phases/runner/runner.js';
import {
  registryCollectPhase,
  registryGcPlanPhase,
  registryReadOnlyPhase,
  registryReadWritePhase,
  type RegistryGcContext,
} from '../../../src/lib/phases/registry-gc.js';
import { CONFIG_TARGET, registryConfigYaml } from '../../../src/lib/registry/config-file.js';
import { isReadOnly } from '../../../src/lib/registry/gc.js';
import { contentName } from '../../../src/lib/registry/names.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';
import { registrySpec } from '../registry/fixtures.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';

// The gc phases after the lock over scripted hosts: a manager that keeps a model of the registry service's
// config and the swarm's configs, and two registry hosts whose replica runs the collector.

const COLLECTED = `e2e/app: marking manifest sha256:${'d'.repeat(64)}
3 blobs marked, 2 blobs and 0 manifests eligible for deletion
blob eligible for deletion: sha256:${'a'.repeat(64)}
blob eligible for deletion: sha256:${'b'.repeat(64)}
`;

function scriptedRegistry(options: { shared: boolean; collector: { code: number; stdout: string } }) {
  const spec = registrySpec({ storage: { filesystem: { path: '/srv/registry', shared: options.shared } } });
  const deployed = registryConfigYaml(spec, 'prod');
  const original = contentName('config', deployed);
  const configs = new Map([[original, deployed]]);
  const state = { mounted: original, events: [] as string[], bytes: [5000, 1000] };
  const serviceJson = () =>
    JSON.stringify([
      {
        ID: 'svc1',
        Spec: {
          Name: 'eectl-registry',
          Mode: { Global: {} },
          TaskTemplate: {
            ContainerSpec: {
              Image: 'registry:2.8.3',
              Configs: [{ ConfigName: state.mounted, File: { Name: CONFIG_TARGET } }],
              Mounts: [{ Type: 'bind', Source: '/srv/registry', Target: '/var/lib/registry' }],
            },
            Placement: { Constraints: ['node.labels.eectl.role==registry'] },
          },
          EndpointSpec: { Ports: [{ TargetPort: 5443, PublishedPort: 5443, PublishMode: 'host' }] },
        },
      },
    ]);
  const m1 = new ScriptedConnection('10.0.0.11', [
    { match: /^docker service inspect eectl-registry$/, answer: () => ({ stdout: serviceJson() }) },
    { match: /^docker service ps /, answer: { stdout: 't1\nt2\n' } },
    {
      match: /^docker inspect --type task/,
      answer: {
        stdout: JSON.stringify(
          ['t1', 't2'].map((ID) => ({
            ID,
            ServiceID: 'svc1',
            DesiredState: 'running',
            Status: { State: 'running' },
          })),
        ),
      },
    },
    {
      match: /^docker config inspect --format/,
      answer: (argv) => ({
        stdout: JSON.stringify({
          Data: Buffer.from(configs.get(argv.at(-1)!) ?? '').toString('base64'),
          Templating: { Name: 'golang' },
        }),
      }),
    },
    { match: /^docker config ls/, answer: () => ({ stdout: [...configs.keys()].join('\n') }) },
    {
      match: /^docker config create/,
      answer: (argv, o) => {
        configs.set(argv.at(-2)!, String(o.stdin));
        state.events.push(`create ${isReadOnly(String(o.stdin)) ? 'read-only' : 'read-write'} config`);
        return {};
      },
    },
    {
      match: /^docker config rm/,
      answer: (argv) => {
        for (const n of argv.slice(3)) configs.delete(n);
        state.events.push(`remove config ${argv.slice(3).join(' ') === original ? 'original' : 'read-only'}`);
        return {};
      },
    },
    {
      match: /^docker service update/,
      answer: (argv) => {
        const add = argv[argv.indexOf('--config-add') + 1]!;
        state.mounted = /source=([^,]+)/.exec(add)![1]!;
        expect(
          argv.slice(argv.indexOf('--update-parallelism'), argv.indexOf('--update-parallelism') + 2),
        ).toEqual(['--update-parallelism', '1']);
        state.events.push(`roll to ${isReadOnly(configs.get(state.mounted)!) ? 'read-only' : 'read-write'}`);
        return {};
      },
    },
  ]);
  const registryHost = (name: string) =>
    new ScriptedConnection(name, [
      {
        match: /^docker ps --quiet --filter label=com.docker.swarm.service.name=eectl-registry/,
        answer: { stdout: 'c1\n' },
      },
      { match: /^curl /, answer: { stdout: '401' } },
      { match: /eectl-uploads/, answer: { stdout: '0\n' } },
      { match: /eectl-storage-bytes/, answer: () => ({ stdout: `${state.bytes.shift()}\n` }) },
      {
        match: /^docker exec c1 \/bin\/registry garbage-collect/,
        answer: () => {
          state.events.push(
            `collect while ${isReadOnly(configs.get(state.mounted)!) ? 'read-only' : 'read-write'}`,
          );
          return {
            ...options.collector,
            stderr: options.collector.code ? 'failed to garbage collect: boom' : '',
          };
        },
      },
    ]);
  const conns = new Map([
    ['10.0.0.11', m1],
    ['10.0.0.31', registryHost('10.0.0.31')],
    ['10.0.0.32', registryHost('10.0.0.32')],
  ]);
  const config = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: {
      hosts: [
        { address: '10.0.0.11', role: 'manager' },
        { address: '10.0.0.31', role: 'registry' },
        { address: '10.0.0.32', role: 'registry' },
      ],
      registry: spec,
    },
  });
  const ctx: RegistryGcContext = {
    config,
    connect: async (s) => conns.get(s.address)!,
    log: nullLogger,
    changes: new ChangeLog(false),
    concurrency: 4,
    managers: [],
    unreachable: new Map(),
    swarm: new Map(),
    deleteUntagged: false,
    confirm: async () => void state.events.push('asked'),
  };
  ctx.contact = new Host(config.spec.hosts[0]!, m1);
  return { ctx, state, original, configs, m1 };
}

const PHASES = [registryGcPlanPhase, registryReadOnlyPhase, registryCollectPhase, registryReadWritePhase];

describe('registry gc phases over scripted hosts', () => {
  it('asks, rolls every replica read-only, collects, rolls back to the very config it had, and reports', async () => {
    const { ctx, state, original, configs } = scriptedRegistry({
      shared: true,
      collector: { code: 0, stdout: COLLECTED },
    });
    await runPhases(PHASES, ctx, 'silent');
    expect(state.events).toEqual([
      'asked',
      'create read-only config',
      'roll to read-only',
      'collect while read-only',
      'roll to read-write',
      'remove config read-only',
    ]);
    expect(state.mounted).toBe(original);
    expect([...configs.keys()]).toEqual([original]);
    expect(ctx.report).toMatchObject({ blobsEligible: 2, blobsMarked: 3 });
    expect([ctx.bytesBefore, ctx.bytesAfter]).toEqual([5000, 1000]);
    expect(ctx.readOnlyMs).toBeGreaterThanOrEqual(0);
  });

  it('returns every replica to read-write when the collector fails, and says so', async () => {
    const { ctx, state, original } = scriptedRegistry({ shared: true, collector: { code: 1, stdout: '' } });
    const error = await runPhases(PHASES, ctx, 'silent').then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );
    expect(error?.code).toBe('EGC_FAILED');
    expect(error?.suggestions.join(' ')).toContain('failed to garbage collect: boom');
    expect(state.events).toEqual([
      'asked',
      'create read-only config',
      'roll to read-only',
      'collect while read-only',
      'roll to read-write',
      'remove config read-only',
    ]);
    expect(state.mounted).toBe(original);
  });

  it('refuses two replicas on storage that is not shared before asking or changing anything', async () => {
    const { ctx, state, m1 } = scriptedRegistry({ shared: false, collector: { code: 0, stdout: COLLECTED } });
    const error = await runPhases(PHASES, ctx, 'silent').then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );
    expect(error).toMatchObject({ code: 'EGC_NOT_SHARED', exitCode: 2 });
    expect(state.events).toEqual([]);
    expect(m1.lines.filter((l) => /service update|config create|config rm/.test(l))).toEqual([]);
  });
});
