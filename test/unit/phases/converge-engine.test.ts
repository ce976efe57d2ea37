import { describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../../src/lib/phases/runner/cluster-context.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { Host } from '../../../src/lib/host/host.js';
import { convergeEngine } from '../../../src/lib/phases/converge/engine.js';
import type { ExecResult, RemoteCommand } from '../../../src/lib/ssh/connection.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection, testClusterContext } from '../../helpers/contexts.js';

const VERSION = '5:27.3.1-1~debian.12~bookworm';
const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 't' },
  spec: { hosts: [{ address: 'w1', role: 'worker' }], engine: { source: 'docker', version: '27.3' } },
});

/** A connection that records what runs on the host; the engine answers `docker version`. */
function recordingHost(daemonJson: string | undefined): { host: Host; ran: string[] } {
  const ran: string[] = [];
  const conn = stubConnection('w1', {
    exec: (command: RemoteCommand): Promise<ExecResult> => {
      ran.push(command.join(' '));
      const stdout = command.includes('version') ? '27.3.1\n' : '';
      return Promise.resolve({ code: 0, stdout, stderr: '' });
    },
    upload: (path: string) => {
      ran.push(`upload ${path}`);
      return Promise.resolve();
    },
  });
  const host = new Host(config.spec.hosts[0]!, conn);
  host.facts = makeFacts({
    hostname: 'w1',
    files: daemonJson === undefined ? {} : { '/etc/docker/daemon.json': daemonJson },
    engine: { packageName: 'docker-ce', packageVersion: VERSION, serverVersion: '27.3.1', running: true },
  });
  return { host, ran };
}

const context = (): ClusterContext =>
  testClusterContext(config, { fields: { engineVersions: new Map([['w1', VERSION]]) } });

describe('convergeEngine on a host whose engine is already as the file says', () => {
  it('runs nothing at all: the engine answered with the facts and nothing touched it', async () => {
    const { host, ran } = recordingHost(undefined);
    await convergeEngine(context(), host, { report: () => undefined });
    expect(ran).toEqual([]);
  });

  it('still waits for the engine after it changed something (daemon.json, then a restart)', async () => {
    const { host, ran } = recordingHost('{"debug": true}\n');
    const ctx = context();
    ctx.config.spec.engine.daemon = { debug: false };
    try {
      await convergeEngine(ctx, host, { report: () => undefined });
    } finally {
      ctx.config.spec.engine.daemon = {};
    }
    expect(ran).toContain('upload /etc/docker/daemon.json');
    expect(ran.some((c) => c.startsWith('systemctl restart docker'))).toBe(true);
    expect(ran.at(-1)).toBe('docker version --format {{.Server.Version}}');
  });
});
