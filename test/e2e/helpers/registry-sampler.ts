import { request } from 'node:https';

/** One pull the sampler made: when, which replica served it (none: a failure), and what each replica said. */
export interface PullSample {
  at: number;
  ok: boolean;
  servedBy?: string;
  tried: { replica: string; detail: string }[];
}

export interface PullSamplerOptions {
  /** `host:port` of each replica (sandbox hosts only). */
  replicas: string[];
  repository: string;
  tag: string;
  ca: string;
  username: string;
  password: string;
  intervalMs: number;
  /** Bound: the sampler stops by itself after this long. */
  maxMs: number;
}

interface Reply {
  status: number;
  body: Buffer;
}

const MANIFEST_TYPES =
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/**
 * Pulls one image (its manifest, then every blob it names, each checked for size) every `intervalMs`,
 * as a client behind a load balancer sees the registry: the replicas in turn, the next one tried when a
 * replica does not answer or answers wrong. A pull that no replica serves is a failure; nothing is skipped.
 */
export function startPullSampler(options: PullSamplerOptions): { stop: () => Promise<PullSample[]> } {
  const samples: PullSample[] = [];
  const started = Date.now();
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  let stopped = false;
  const get = (replica: string, path: string, accept?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const [host, port] = replica.split(':');
      const req = request(
        {
          host,
          port: Number(port),
          path,
          ca: options.ca,
          agent: false,
          timeout: 5000,
          headers: { authorization, ...(accept && { accept }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
      req.end();
    });
  const pullFrom = async (replica: string): Promise<string | undefined> => {
    const base = `/v2/${options.repository}`;
    const manifest = await get(replica, `${base}/manifests/${options.tag}`, MANIFEST_TYPES);
    if (manifest.status !== 200) return `manifest: HTTP ${manifest.status}`;
    const body = JSON.parse(manifest.body.toString('utf8')) as {
      config: { digest: string; size: number };
      layers: { digest: string; size: number }[];
    };
    for (const blob of [body.config, ...body.layers]) {
      const got = await get(replica, `${base}/blobs/${blob.digest}`);
      if (got.status !== 200) return `blob ${blob.digest.slice(0, 19)}: HTTP ${got.status}`;
      if (got.body.length !== blob.size)
        return `blob ${blob.digest.slice(0, 19)}: ${got.body.length} bytes, not ${blob.size}`;
    }
    return undefined;
  };
  const loop = async () => {
    for (let n = 0; !stopped && Date.now() - started < options.maxMs; n++) {
      const at = Date.now();
      const order = options.replicas.map((_, i) => options.replicas[(n + i) % options.replicas.length]!);
      const sample: PullSample = { at, ok: false, tried: [] };
      for (const replica of order) {
        const problem = await pullFrom(replica).catch((e: unknown) =>
          e instanceof Error ? e.message : String(e),
        );
        sample.tried.push({ replica, detail: problem ?? 'ok' });
        if (problem === undefined) {
          sample.ok = true;
          sample.servedBy = replica;
          break;
        }
      }
      samples.push(sample);
      await new Promise((r) => setTimeout(r, Math.max(0, options.intervalMs - (Date.now() - at))));
    }
  };
  const running = loop();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return samples;
    },
  };
}
