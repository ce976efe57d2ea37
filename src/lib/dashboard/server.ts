import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { EngineApiError, NoManagerAnswersError, type EngineApi } from '../engine-api/client.js';
import { toEectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { deployStack, scaleService, setNodeAvailability, type OperationOutcome } from './operations.js';
import type { ClusterCollector } from './collector.js';
import type {
  DashboardOperation,
  DashboardPermissions,
  DashboardUser,
  PermissionsSource,
} from './permissions.js';
import type { RegistrySource } from './registry-reader.js';
import { TOKEN_COOKIE, tokenFromCookie, type AccessTokens } from './token.js';

/** The page's files, shipped with the package (package.json "files"): no build step, nothing fetched. */
export const STATIC_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'static',
  'dashboard',
);
const STATIC_FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // The first URL carries the token: never hand it to another site.
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export interface DashboardServerOptions {
  tokens: AccessTokens;
  collector: ClusterCollector;
  api: EngineApi;
  bundleDir: string;
  user: DashboardUser;
  permissions: PermissionsSource;
  /** The Registry page's source: only repositories the user may pull (registry-reader.ts). */
  registry?: RegistrySource;
  log: Logger;
  /** Sent as an SSE comment when nothing changed, so proxies and browsers keep the stream open. */
  keepAliveMs?: number;
}

/** The dashboard's HTTP application (hono): pages, the live stream and the confirmed actions. */
export function dashboardApp(options: DashboardServerOptions): Hono {
  const app = new Hono();
  const { tokens, collector } = options;

  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
  });

  // The token from the printed URL becomes an HttpOnly cookie, and the URL loses it (history, screenshots).
  app.use('*', async (c, next) => {
    const fromQuery = c.req.query('token');
    if (fromQuery !== undefined && c.req.method === 'GET' && tokens.redeem(fromQuery)) {
      c.header('Set-Cookie', `${TOKEN_COOKIE}=${tokens.main}; HttpOnly; SameSite=Strict; Path=/`);
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}${url.hash}`, 303);
    }
    const bearer = c.req.header('Authorization')?.replace(/^Bearer\s+/i, '');
    if (!tokens.isMain(tokenFromCookie(c.req.header('Cookie')) ?? bearer)) {
      return c.text(
        'eectl dashboard: open the URL that `eectl dashboard` printed (it carries the access token).\n',
        401,
      );
    }
    // A page of another site cannot send JSON here without a preflight that this server never answers.
    if (c.req.method !== 'GET' && !(c.req.header('Content-Type') ?? '').startsWith('application/json')) {
      return c.json({ ok: false, message: 'actions take a JSON body' }, 415);
    }
    return next();
  });

  app.get('/', (c) => staticFile(c, 'index.html', 'text/html; charset=utf-8'));
  app.get('/static/:file', (c) => {
    const file = c.req.param('file');
    const type = STATIC_FILES[file];
    return type ? staticFile(c, file, type) : c.notFound();
  });

  const permissionsNow = () => options.permissions.forPage(options.user, collector.objects());
  const state = async () => {
    const snapshot = await collector.current();
    return { snapshot, user: options.user, permissions: await permissionsNow() };
  };
  app.get('/api/state', async (c) => c.json(await state()));

  // Asked by the Registry page when it is shown, not on every round of the live stream: it costs more.
  app.get('/api/registry', async (c) =>
    options.registry
      ? c.json(await options.registry.page())
      : c.json({ ok: false, message: 'this dashboard reads no registry' }, 404),
  );

  app.get('/api/stream', (c) =>
    streamSSE(c, async (stream) => {
      const send = async (snapshot: unknown) => {
        const permissions: DashboardPermissions = await permissionsNow();
        await stream.writeSSE({
          event: 'state',
          data: JSON.stringify({ snapshot, user: options.user, permissions }),
        });
      };
      let queue = Promise.resolve();
      const unsubscribe = collector.subscribe((s) => {
        queue = queue.then(() => send(s)).catch(() => undefined);
      });
      const keepAlive = setInterval(
        () => void stream.write(': keep-alive\n\n'),
        options.keepAliveMs ?? 15_000,
      );
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(keepAlive);
      unsubscribe();
    }),
  );

  const act = async (c: Context, operation: DashboardOperation, run: () => Promise<OperationOutcome>) => {
    try {
      // Asked again here, whatever the page showed: a forged request is refused before the managers see it.
      const verdict = await options.permissions.check(options.user, operation);
      if (!verdict.allowed) {
        options.log.warn(`dashboard: refused ${operation.kind} for ${options.user.name}: ${verdict.reason}`);
        return c.json(
          {
            ok: false,
            denied: true,
            by: 'dashboard',
            message: `refused by the dashboard for ${options.user.name}: ${verdict.reason}`,
          },
          403,
        );
      }
      const outcome = await run();
      options.log.info(`dashboard: ${outcome.message}`);
      void collector.refresh();
      return c.json({ ok: true, ...outcome });
    } catch (e) {
      const err = toEectlError(e);
      const denied = (e instanceof EngineApiError && e.denied) || err.code === 'EDENIED';
      const message = e instanceof EngineApiError ? e.apiMessage : err.message;
      options.log.warn(`dashboard: ${denied ? 'denied: ' : ''}${err.message}`);
      const status = denied
        ? 403
        : e instanceof NoManagerAnswersError
          ? 502
          : err.kind === 'user'
            ? 400
            : 500;
      return c.json({ ok: false, denied, ...(denied && { by: 'managers' }), message }, status);
    }
  };

  app.post('/api/nodes/:id/availability', async (c) => {
    const body = await c.req.json<{ availability?: string }>().catch(() => ({}) as { availability?: string });
    const availability = body.availability;
    if (availability !== 'drain' && availability !== 'active') {
      return c.json({ ok: false, message: 'availability is "drain" or "active"' }, 400);
    }
    const nodeId = c.req.param('id');
    return act(c, { kind: 'nodeAvailability', nodeId, availability }, () =>
      setNodeAvailability(options.api, nodeId, availability),
    );
  });

  app.post('/api/services/:id/scale', async (c) => {
    const body = await c.req.json<{ replicas?: unknown }>().catch(() => ({}) as { replicas?: unknown });
    const serviceId = c.req.param('id');
    const replicas = Number(body.replicas);
    return act(c, { kind: 'scaleService', serviceId, replicas }, () =>
      scaleService(options.api, serviceId, replicas),
    );
  });

  app.post('/api/stacks', async (c) => {
    const body = await c.req
      .json<{ name?: unknown; compose?: unknown }>()
      .catch(() => ({}) as { name?: unknown; compose?: unknown });
    const name = String(body.name ?? '');
    return act(c, { kind: 'deployStack', name }, () =>
      deployStack({
        name,
        compose: String(body.compose ?? ''),
        endpoint: options.api.current,
        bundleDir: options.bundleDir,
        log: options.log,
      }),
    );
  });

  return app;
}

async function staticFile(c: Context, file: string, type: string): Promise<Response> {
  const body = await readFile(join(STATIC_DIR, file));
  return c.body(body, 200, { 'Content-Type': type });
}

/** A running dashboard server. */
export interface RunningDashboard {
  /** The URL to open, with the access token. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the app on `hostname:port` (port 0: any free one). */
export function startDashboardServer(app: Hono, hostname: string, port: number): Promise<RunningDashboard> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    const onError = (e: Error) => reject(e);
    server = serve({ fetch: app.fetch, hostname, port }, (info: AddressInfo) => {
      server!.off('error', onError);
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      resolve({
        url: `http://${host}:${info.port}/`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            server!.close(() => done());
          }),
      });
    });
    server.once('error', onError);
  });
}
