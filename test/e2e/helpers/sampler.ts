import { request } from 'node:http';

/** One request the sampler sent: when, through which proxy, and what came back (or the error). */
export interface Sample {
  at: number;
  node: string;
  ok: boolean;
  detail: string;
}

export interface SamplerOptions {
  /** Proxy addresses (sandbox hosts only); requests alternate between them. */
  nodes: string[];
  port: number;
  host: string;
  /** The body a right answer starts with. */
  expect: string;
  /** Bounds: the sampler stops at whichever comes first. */
  maxRequests: number;
  maxMs: number;
  concurrency?: number;
}

/**
 * Sends requests in a loop until stopped or a bound is reached, each on a new connection, and records every
 * one: a request that gets no answer, a wrong status or a wrong body is a failure (nothing is skipped).
 */
export function startSampler(options: SamplerOptions): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  const started = Date.now();
  let stopped = false;
  let sent = 0;
  const one = (node: string) =>
    new Promise<void>((resolve) => {
      const record = (ok: boolean, detail: string) => {
        samples.push({ at: Date.now(), node, ok, detail });
        resolve();
      };
      const req = request(
        {
          host: node,
          port: options.port,
          path: '/',
          agent: false,
          timeout: 5000,
          headers: { host: options.host },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            record(
              res.statusCode === 200 && body.startsWith(options.expect),
              `${res.statusCode} ${body.slice(0, 40)}`,
            ),
          );
          res.on('error', (e) => record(false, e.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 5s')));
      req.on('error', (e: NodeJS.ErrnoException) => record(false, e.code ?? e.message));
      req.end();
    });
  const worker = async () => {
    while (!stopped && sent < options.maxRequests && Date.now() - started < options.maxMs) {
      const node = options.nodes[sent++ % options.nodes.length]!;
      await one(node);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const running = Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return {
    stop: async () => {
      stopped = true;
      await running;
      return samples;
    },
  };
}
