import type { HostDescription } from '../cluster/describe.js';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig, RegistrySpec } from '../config/schema.js';
import { Host } from '../host/host.js';
import type { WebhookEndpointStatus, WebhookStatus } from './report.js';
import { RELAY_STATE } from './names.js';
import type { EndpointCounters } from './relay.js';

/** One registry host's relay counters, or why they could not be read. */
export type RelayCounters =
  { host: string; counters: Record<string, EndpointCounters> } | { host: string; error: string };

/** Sums each endpoint of the file over the relays; the latest attempt's error is the one shown. */
export function summarizeWebhooks(
  endpoints: RegistrySpec['notifications'],
  relays: readonly RelayCounters[],
): WebhookStatus {
  const read = relays.flatMap((r) => ('counters' in r ? [r.counters] : []));
  return {
    endpoints: endpoints.map((e): WebhookEndpointStatus => {
      const seen = read.map((c) => c[e.name]).filter((c): c is EndpointCounters => c !== undefined);
      const sum = (k: 'delivered' | 'failed' | 'pending') => seen.reduce((n, c) => n + (c[k] ?? 0), 0);
      const newestFirst = [...seen]
        .filter((c) => c.lastAttemptAt)
        .sort((a, b) => (a.lastAttemptAt! < b.lastAttemptAt! ? 1 : -1));
      const latest = newestFirst[0];
      const pending = sum('pending');
      // The error that keeps events pending, the newest of them (a relay that recovered has none).
      const lastError = newestFirst.find((c) => c.lastError && c.pending > 0)?.lastError ?? latest?.lastError;
      return {
        name: e.name,
        url: e.url,
        delivered: sum('delivered'),
        failed: sum('failed'),
        pending,
        failing: pending > 0,
        ...(lastError ? { lastError } : {}),
        ...(latest?.lastAttemptAt ? { lastAttemptAt: latest.lastAttemptAt } : {}),
      };
    }),
    unread: relays.flatMap((r) => ('error' in r ? [{ host: r.host, detail: r.error }] : [])),
  };
}

/** Reads every registry host's relay counters (RELAY_STATE); a host SSH cannot reach is reported, not asked. */
export async function readRelayCounters(
  config: ClusterConfig,
  described: readonly HostDescription[],
  session: Session,
): Promise<RelayCounters[]> {
  return Promise.all(
    config.spec.hosts
      .filter((spec) => spec.role === 'registry')
      .map(async (spec): Promise<RelayCounters> => {
        const d = described.find((x) => x.address === spec.address);
        if (!d?.ok) return { host: spec.address, error: 'host unreachable' };
        try {
          const host = new Host(spec, await session.connect(spec));
          const text = (await host.conn.readFile(RELAY_STATE, { sudo: true }))?.toString('utf8');
          if (text === undefined)
            return { host: spec.address, error: `no ${RELAY_STATE}: run eectl install` };
          return { host: spec.address, counters: JSON.parse(text) as Record<string, EndpointCounters> };
        } catch (e) {
          return { host: spec.address, error: e instanceof Error ? e.message : String(e) };
        }
      }),
  );
}

/** Puts the webhooks into a status report: a failing endpoint or an unread relay is a warning. */
export function withWebhookState<R extends { warnings: string[]; webhooks?: WebhookStatus }>(
  result: R,
  webhooks: WebhookStatus | undefined,
): R {
  if (!webhooks) return result;
  const warnings = [
    ...result.warnings,
    ...webhooks.endpoints
      .filter((e) => e.failing)
      .map(
        (e) =>
          `webhook ${e.name} (${e.url}): ${e.pending} event(s) not delivered, Distribution retries them` +
          `${e.lastError ? ` (last error: ${e.lastError})` : ''}`,
      ),
    ...webhooks.unread.map((u) => `webhook relay on ${u.host}: counters not read (${u.detail})`),
  ];
  return { ...result, webhooks, warnings };
}
