import { describe, expect, it } from 'vitest';
import { CommandFailedError, toEectlError } from '../../../src/lib/errors.js';
import { HostDocker, type ServiceDefinition, type ServiceState } from '../../../src/lib/swarm/docker.js';
import { Host } from '../../../src/lib/host/host.js';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { isVersionConflict, updateSwarmObject } from '../../../src/lib/swarm/update.js';
import { OUT_OF_SEQUENCE } from '../../helpers/scripted-cluster.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';

const conflict = () =>
  new CommandFailedError({
    host: '10.0.0.11',
    command: 'docker node update --label-add a=b n1',
    exitCode: 1,
    outputTail: [OUT_OF_SEQUENCE.trim()],
  });

describe('updateSwarmObject: one swarm object update that survives concurrent change', () => {
  it('tries again when the swarm refuses the update as out of sequence, and returns what the retry did', async () => {
    const tries: number[] = [];
    const result = await updateSwarmObject(
      'node n1',
      async (attempt) => {
        tries.push(attempt);
        if (attempt === 0) throw conflict();
        return 'updated';
      },
      { pauseMs: 1 },
    );
    expect(result).toBe('updated');
    expect(tries).toEqual([0, 1]);
  });

  it('gives up after a bounded number of tries with ESWARM_CONFLICT, saying what kept failing', async () => {
    let tries = 0;
    const error = await updateSwarmObject(
      '10.0.0.11: node update n1',
      async () => {
        tries++;
        throw conflict();
      },
      { pauseMs: 1, attempts: 3 },
    ).catch((e: unknown) => toEectlError(e));
    expect(tries).toBe(3);
    expect(error.code).toBe('ESWARM_CONFLICT');
    expect(error.message).toMatch(/^10\.0\.0\.11: node update n1: the swarm refused the update 3 times/);
    expect(error.suggestions.join('\n')).toMatch(/run the same command again/);
  });

  it('does not retry any other failure', async () => {
    let tries = 0;
    const other = new Error('Error response from daemon: node n9 not found');
    const error = await updateSwarmObject('node n9', async () => {
      tries++;
      throw other;
    }).catch((e: unknown) => e);
    expect(error).toBe(other);
    expect(tries).toBe(1);
    expect(isVersionConflict(conflict())).toBe(true);
    expect(isVersionConflict(other)).toBe(false);
  });
});

describe('HostDocker updates go through it', () => {
  const current: ServiceState = {
    id: 's1',
    mode: 'global',
    name: 'registry',
    image: 'registry:2.8.2',
    constraints: [],
    hostPorts: [],
    configs: [{ source: 'cfg-old', target: '/etc/registry.yml' }],
    secrets: [],
    binds: [],
  };
  const wanted: ServiceDefinition = {
    ...current,
    image: 'registry:2.8.3',
    configs: [{ source: 'cfg-new', target: '/etc/registry.yml' }],
    rolling: { parallelism: 1, order: 'stop-first' },
  };

  function engine(conflicts: number, inspect: ServiceState) {
    let left = conflicts;
    const conn = new ScriptedConnection('10.0.0.11', [
      {
        match: /^docker (node|service) update /,
        answer: () => (left-- > 0 ? { code: 1, stderr: OUT_OF_SEQUENCE } : { stdout: '' }),
      },
      {
        match: /^docker service inspect registry$/,
        answer: {
          stdout: JSON.stringify([
            {
              ID: inspect.id,
              Spec: {
                Name: inspect.name,
                Mode: { Global: {} },
                TaskTemplate: {
                  ContainerSpec: {
                    Image: inspect.image,
                    Configs: inspect.configs.map((c) => ({ ConfigName: c.source, File: { Name: c.target } })),
                  },
                  Placement: {},
                },
              },
            },
          ]),
        },
      },
    ]);
    return {
      conn,
      docker: new HostDocker(new Host({ address: '10.0.0.11', role: 'manager' } as HostSpec, conn)),
    };
  }

  it('node update: the same update again after one "update out of sequence"', async () => {
    const { conn, docker } = engine(1, current);
    await docker.nodeUpdate('n1', { availability: 'drain', labels: { 'eectl.rolling-drained': 'true' } });
    expect(conn.lines).toEqual([
      'docker node update --label-add eectl.rolling-drained=true --availability drain n1',
      'docker node update --label-add eectl.rolling-drained=true --availability drain n1',
    ]);
  });

  it('service update: after a conflict, reads the service again and updates what differs from it now', async () => {
    // Meanwhile something else already swapped the config in: the retry only changes the image.
    const { conn, docker } = engine(1, { ...current, configs: wanted.configs });
    await docker.serviceUpdate(wanted, current);
    const updates = conn.lines.filter((l) => l.startsWith('docker service update'));
    expect(updates).toHaveLength(2);
    expect(updates[0]).toContain('--config-rm cfg-old --config-add source=cfg-new,target=/etc/registry.yml');
    expect(conn.lines[1]).toBe('docker service inspect registry');
    expect(updates[1]).not.toContain('--config');
    expect(updates[1]).toContain('--image registry:2.8.3');
  });

  it('service update --force (rebalance): argv only, the image not resolved again, retried after a conflict', async () => {
    const { conn, docker } = engine(1, current);
    await docker.serviceForceUpdate('web; rm -rf /');
    expect(conn.lines).toEqual([
      'docker service update --force --detach --quiet --no-resolve-image web; rm -rf /',
      'docker service update --force --detach --quiet --no-resolve-image web; rm -rf /',
    ]);
    // One argument, not shell text.
    expect(conn.commands[0]?.at(-1)).toBe('web; rm -rf /');
  });
});

describe('HostDocker reads services for placement', () => {
  const docker = (answer: { code?: number; stdout?: string; stderr?: string }) => {
    const conn = new ScriptedConnection('10.0.0.11', [{ match: /^docker service inspect /, answer }]);
    return new HostDocker(new Host({ address: '10.0.0.11', role: 'manager' } as HostSpec, conn));
  };

  it('a service removed meanwhile is absent; an engine that fails is an error, not an absent service', async () => {
    const gone = docker({ code: 1, stdout: '[]\n', stderr: 'Error: no such service: s1\n' });
    expect(await gone.placedServices(['s1'])).toEqual([]);
    const down = docker({
      code: 1,
      stderr:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    });
    await expect(down.placedServices(['s1'])).rejects.toThrow(/Cannot connect to the Docker daemon/);
  });
});
