import { describe, expect, it } from 'vitest';
import { shownTasks } from '../../../src/lib/actions/workloads.js';
import type { TaskView } from '../../../src/lib/dashboard/view-model.js';
import { renderWorkloads } from '../../../src/lib/ui/status-summary.js';

const task = (over: Partial<TaskView>): TaskView => ({
  id: 't',
  serviceId: 's1',
  serviceName: 'web',
  slot: 1,
  nodeId: 'n1',
  nodeHostname: 'w1',
  desiredState: 'running',
  state: 'running',
  message: 'started',
  error: undefined,
  image: 'busybox',
  updatedAt: '2026-12-01T19:00:00Z',
  ...over,
});

describe('status --services', () => {
  it('shows the tasks wanted running and the latest three failures of each service, not old shutdowns', () => {
    const failures = [1, 2, 3, 4].map((i) =>
      task({
        id: `f${i}`,
        desiredState: 'shutdown',
        state: 'failed',
        error: `exit ${i}`,
        updatedAt: `2026-12-01T19:0${i}:00Z`,
      }),
    );
    const shown = shownTasks([
      task({ id: 'r1' }),
      task({ id: 'r2', slot: 2, nodeHostname: 'w2' }),
      task({ id: 'old', desiredState: 'shutdown', state: 'shutdown' }),
      ...failures,
    ]);
    expect(shown.map((t) => t.id).sort()).toEqual(['f2', 'f3', 'f4', 'r1', 'r2']);
  });

  it('renders services with replicas and tasks with their errors; says why when they could not be read', () => {
    const text = renderWorkloads(
      {
        answeredBy: '10.0.0.11:2376',
        services: [
          {
            id: 's1',
            name: 'web',
            mode: 'replicated',
            desired: 3,
            running: 2,
            image: 'busybox',
            digest: 'sha256:0123456789abcdef0123',
            updateState: undefined,
            updateMessage: undefined,
            ports: [{ published: 8080, target: 80, protocol: 'tcp', mode: 'host' }],
            collection: 'shared',
            stack: undefined,
            version: 1,
            createdAt: '',
            updatedAt: '',
          },
        ],
        tasks: [task({ state: 'failed', desiredState: 'shutdown', error: 'task: non-zero exit (1)' })],
      },
      undefined,
    );
    expect(text).toContain('Services (from 10.0.0.11:2376):');
    expect(text).toMatch(/web\s+replicated\s+2\/3\s+busybox@sha256:0123456789ab\s+-\s+8080:80\/tcp\s+shared/);
    expect(text).toMatch(/web\.1\s+w1\s+shutdown\s+failed\s+task: non-zero exit \(1\)/);
    expect(renderWorkloads(undefined, 'client bundle /x: cannot read ca.pem (ENOENT)')).toContain(
      'not read: client bundle /x: cannot read ca.pem (ENOENT)',
    );
  });
});
