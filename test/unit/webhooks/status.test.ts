import { describe, expect, it } from 'vitest';
import { registrySpec } from '../registry/fixtures.js';
import { summarizeWebhooks, withWebhookState } from '../../../src/lib/webhooks/status.js';
import type { StatusResult } from '../../../src/lib/results/status.js';

const spec = registrySpec({
  notifications: [
    { name: 'ci', url: 'https://ci.example/hook', secretEnv: 'A' },
    { name: 'down', url: 'http://10.0.0.9:9/', secretEnv: 'B' },
  ],
}).notifications;

describe('webhook delivery state in eectl status', () => {
  const summary = summarizeWebhooks(spec, [
    {
      host: '10.0.0.31',
      counters: {
        ci: { delivered: 3, failed: 0, pending: 0, lastStatus: 204, lastAttemptAt: '2026-12-06T20:00:01Z' },
        down: {
          delivered: 0,
          failed: 4,
          pending: 2,
          lastError: 'fetch failed: connect ECONNREFUSED 10.0.0.9:9',
          lastAttemptAt: '2026-12-06T20:00:03Z',
        },
      },
    },
    {
      host: '10.0.0.32',
      counters: {
        ci: { delivered: 2, failed: 1, pending: 0, lastAttemptAt: '2026-12-06T20:00:02Z' },
        down: {
          delivered: 0,
          failed: 1,
          pending: 1,
          lastError: 'HTTP 500',
          lastAttemptAt: '2026-12-06T20:00:05Z',
        },
      },
    },
    { host: '10.0.0.33', error: 'host unreachable' },
  ]);

  it('sums each endpoint over the relays; pending events make it failing, with the latest error', () => {
    expect(summary.endpoints).toEqual([
      {
        name: 'ci',
        url: 'https://ci.example/hook',
        delivered: 5,
        failed: 1,
        pending: 0,
        failing: false,
        lastAttemptAt: '2026-12-06T20:00:02Z',
      },
      {
        name: 'down',
        url: 'http://10.0.0.9:9/',
        delivered: 0,
        failed: 5,
        pending: 3,
        failing: true,
        lastError: 'HTTP 500',
        lastAttemptAt: '2026-12-06T20:00:05Z',
      },
    ]);
    expect(summary.unread).toEqual([{ host: '10.0.0.33', detail: 'host unreachable' }]);
  });

  it('warns of a failing endpoint and an unread relay, without making the cluster unhealthy', () => {
    const base = { health: 'healthy', problems: [], warnings: [] } as unknown as StatusResult;
    const r = withWebhookState(base, summary);
    expect(r.health).toBe('healthy');
    expect(r.warnings).toEqual([
      'webhook down (http://10.0.0.9:9/): 3 event(s) not delivered, Distribution retries them (last error: HTTP 500)',
      'webhook relay on 10.0.0.33: counters not read (host unreachable)',
    ]);
    expect(withWebhookState(base, undefined)).toBe(base);
  });
});
