import { request as httpsRequest } from 'node:https';
import type { ClusterConfig } from '../config/schema.js';
import { EngineApiError, type EngineApi, type ManagerProbe } from '../engine-api/client.js';
import type { RawObjects } from './permissions.js';
import { buildSnapshot, type ApiAnswers, type RegistryProbe, type Snapshot } from './view-model.js';

export interface CollectorOptions {
  config: ClusterConfig;
  api: EngineApi;
  /** The cluster CA (the bundle's ca.pem): registry replicas are checked against it. */
  caPem: string;
  caNotAfter: string | undefined;
  /** Time between two rounds of reads while a page is open. */
  intervalMs?: number;
  /** How long a manager may take to answer a ping before it is shown unreachable. */
  probeTimeoutMs?: number;
  /** How far back the events page goes. */
  eventsWindowSeconds?: number;
}

type Listener = (snapshot: Snapshot) => void;

const REGISTRY_EVERY_MS = 5000;
const EVENTS_KEPT = 200;

/**
 * Reads the cluster through the engine API in rounds (one a second by default) while at least one page
 * listens, and hands each listener a new snapshot when something changed: one poller however many pages
 * are open, and none when no page is.
 */
export class ClusterCollector {
  private readonly listeners = new Set<Listener>();
  private last: Snapshot | undefined;
  private lastObjects: RawObjects = { nodes: [], services: [] };
  private lastKey = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Snapshot> | undefined;
  private registry: RegistryProbe[] = [];
  private registryAt = 0;
  private readonly intervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly eventsWindowSeconds: number;

  constructor(private readonly options: CollectorOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 1500;
    this.eventsWindowSeconds = options.eventsWindowSeconds ?? 3600;
  }

  /** The newest snapshot, read now when there is none yet. */
  async current(): Promise<Snapshot> {
    return this.last ?? this.refresh();
  }

  /** The nodes and services of the newest snapshot as the API answered them (their specs). */
  objects(): RawObjects {
    return this.lastObjects;
  }

  /** Calls `listener` with every changed snapshot until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.last) listener(this.last);
    if (!this.timer) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** One round of reads now (shared with a round already under way). */
  refresh(): Promise<Snapshot> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.refresh().finally(() => {
        if (this.listeners.size > 0) this.schedule(Math.max(0, this.intervalMs - (Date.now() - started)));
      });
    }, delayMs);
  }

  private async round(): Promise<Snapshot> {
    const answers = await this.read();
    const snapshot = buildSnapshot(this.options.config, answers);
    this.lastObjects = { nodes: answers.nodes ?? [], services: answers.services ?? [] };
    const { generatedAt: _, ...rest } = snapshot;
    const key = JSON.stringify(rest);
    this.last = snapshot;
    if (key !== this.lastKey) {
      this.lastKey = key;
      for (const l of this.listeners) l(snapshot);
    }
    return snapshot;
  }

  private async read(): Promise<ApiAnswers> {
    const { api, config } = this.options;
    const errors: Record<string, string> = {};
    const attempt = async <T>(name: string, path: string): Promise<T | undefined> => {
      try {
        return await api.get<T>(path);
      } catch (e) {
        errors[name] =
          e instanceof EngineApiError
            ? `${e.denied ? 'denied' : `HTTP ${e.status}`}: ${e.apiMessage}`
            : (e as Error).message;
        return undefined;
      }
    };
    const probes = await Promise.all(api.endpoints.map((e) => api.probe(e, this.probeTimeoutMs)));
    preferAnswering(api, probes);
    const now = Math.floor(Date.now() / 1000);
    const eventsFilter = encodeURIComponent(JSON.stringify({ scope: ['swarm'] }));
    const [nodes, services, tasks, events] = await Promise.all([
      attempt<unknown[]>('nodes', '/nodes'),
      attempt<unknown[]>('services', '/services?status=true'),
      attempt<unknown[]>('tasks', '/tasks'),
      this.events(api, now, eventsFilter, errors),
    ]);
    if (Date.now() - this.registryAt > REGISTRY_EVERY_MS) {
      this.registry = await checkRegistry(config, this.options.caPem);
      this.registryAt = Date.now();
    }
    return {
      nodes,
      services,
      tasks,
      events,
      probes,
      registry: this.registry,
      caNotAfter: this.options.caNotAfter,
      answeredBy: api.current,
      errors,
    };
  }

  /** The swarm's events of the last hour: `/events` with `until` answers at once with a stream of lines. */
  private async events(
    api: EngineApi,
    now: number,
    filter: string,
    errors: Record<string, string>,
  ): Promise<unknown[] | undefined> {
    try {
      const text = await api.text(
        'GET',
        `/events?since=${now - this.eventsWindowSeconds}&until=${now}&filters=${filter}`,
      );
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      return lines.slice(-EVENTS_KEPT).map((l) => JSON.parse(l) as unknown);
    } catch (e) {
      errors.events = (e as Error).message;
      return undefined;
    }
  }
}

/** Reads go first to a manager that answered its ping: a host that is down is not waited for again. */
function preferAnswering(api: EngineApi, probes: readonly ManagerProbe[]): void {
  const current = probes.find((p) => p.endpoint === api.current);
  if (current?.reachable) return;
  const answering = probes.find((p) => p.reachable);
  if (answering) api.prefer(answering.endpoint);
}

/** Each registry host's replica asked for `/v2/` over TLS checked against the cluster CA. */
export async function checkRegistry(config: ClusterConfig, caPem: string): Promise<RegistryProbe[]> {
  const port = config.spec.registry.port;
  return Promise.all(
    config.spec.hosts
      .filter((h) => h.role === 'registry')
      .map(
        (h) =>
          new Promise<RegistryProbe>((resolve) => {
            const url = `https://${h.address}:${port}/v2/`;
            const req = httpsRequest(url, { ca: caPem, timeout: 3000 }, (res) => {
              res.resume();
              const status = res.statusCode ?? 0;
              resolve({
                host: h.address,
                url,
                healthy: status === 200 || status === 401,
                detail: `HTTP ${status}`,
              });
            });
            req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
            req.on('error', (e: NodeJS.ErrnoException) =>
              resolve({ host: h.address, url, healthy: false, detail: e.code ?? e.message }),
            );
            req.end();
          }),
      ),
  );
}
