import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { findNodeRuntime, type NodeRuntime } from '../access/runtime.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import {
  WATCHER_DIR,
  WATCHER_ENTRY,
  WATCHER_MANIFEST,
  WATCHER_NODE,
  WATCHER_UNIT,
  WATCHER_UNIT_NAME,
} from '../ingress/names.js';
import type { ClusterContext } from '../phase/cluster-context.js';

/**
 * The watcher's modules by their path under dist/lib, uploaded as they are into the same folders under
 * WATCHER_DIR (their relative imports hold): they import only node: built-ins and each other.
 */
export const WATCHER_MODULES = [
  'ingress/watcher.js',
  'ingress/routes.js',
  'ingress/haproxy-config.js',
  'ingress/names.js',
];

/**
 * The watcher's unit: supervised as the authorization plugin is (restarted at once when it dies), after
 * the engine it reads; its stdout (JSON lines) is the ingress audit log in journald.
 */
export function watcherUnit(): string {
  return [
    '# Written by eectl: routes HTTP ingress from service labels (reads services, rolls eectl-ingress-sync).',
    '[Unit]',
    'Description=eectl ingress watcher',
    'After=docker.service',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    `ExecStart=${WATCHER_NODE} ${WATCHER_ENTRY}`,
    'Restart=always',
    'RestartSec=1',
    'NoNewPrivileges=yes',
    'ProtectHome=yes',
    'ProtectSystem=strict',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

interface WatcherPlan {
  runtime: NodeRuntime;
  files: { path: string; content: string }[];
  manifest: string;
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

async function watcherPlan(): Promise<WatcherPlan> {
  const runtime = await findNodeRuntime();
  const libDir = new URL('../', import.meta.url);
  const files = [
    ...(await Promise.all(
      WATCHER_MODULES.map(async (name) => ({
        path: `${WATCHER_DIR}/${name}`,
        content: await readFile(new URL(name, libDir), 'utf8'),
      })),
    )),
    { path: `${WATCHER_DIR}/package.json`, content: '{ "type": "module" }\n' },
    { path: WATCHER_UNIT, content: watcherUnit() },
  ];
  const sums = Object.fromEntries(files.map((f) => [f.path, sha256(f.content)]));
  const manifest = `${JSON.stringify({ node: runtime.sha256, nodeVersion: runtime.version, files: sums }, null, 2)}\n`;
  return { runtime, files, manifest };
}

/** Installs or updates the watcher on every manager, and starts it when it does not run. */
export async function deployWatchers(ctx: ClusterContext, hosts: readonly Host[]): Promise<void> {
  const plan = await watcherPlan();
  for (const host of hosts) await deployWatcher(ctx, host, plan);
}

async function deployWatcher(ctx: ClusterContext, host: Host, plan: WatcherPlan): Promise<void> {
  const installed = (await host.conn.readFile(WATCHER_MANIFEST))?.toString('utf8');
  const fresh = installed !== plan.manifest;
  if (fresh) {
    await ctx.changes.apply(host, `install the ingress watcher in ${WATCHER_DIR}`, async () => {
      await host.sudo(['install', '-d', '-m', '0755', WATCHER_DIR, `${WATCHER_DIR}/ingress`]);
      const oldNode = installed && (JSON.parse(installed) as { node?: string }).node;
      if (oldNode !== plan.runtime.sha256) await uploadRuntime(host, plan.runtime);
      for (const f of plan.files) await host.conn.upload(f.path, f.content, { mode: 0o644, sudo: true });
      await host.sudo(['systemctl', 'daemon-reload']);
      await host.sudo(['systemctl', 'enable', WATCHER_UNIT_NAME]);
    });
  }
  if (ctx.changes.dryRun) return;
  const active =
    (await host.exec(['systemctl', 'is-active', WATCHER_UNIT_NAME], { check: false })).stdout.trim() ===
    'active';
  if (fresh || !active) {
    await ctx.changes.apply(host, `${active ? 'restart' : 'start'} ${WATCHER_UNIT_NAME}`, () =>
      host.sudo(['systemctl', active ? 'restart' : 'start', WATCHER_UNIT_NAME]),
    );
  }
  if (fresh) await host.conn.upload(WATCHER_MANIFEST, plan.manifest, { mode: 0o644, sudo: true });
}

async function uploadRuntime(host: Host, runtime: NodeRuntime): Promise<void> {
  await host.conn.upload(WATCHER_NODE, await runtime.content(), { mode: 0o755, sudo: true });
  const remote = (await host.sudo(['sha256sum', '--', WATCHER_NODE])).stdout.split(/\s+/)[0];
  if (remote === runtime.sha256) return;
  throw new EectlError(`${host.name}: ${WATCHER_NODE} arrived damaged (SHA-256 ${remote ?? '?'})`, {
    code: 'EINGRESS_CHECKSUM',
    kind: 'external',
    exitCode: ExitCode.partial,
    host: host.name,
    suggestions: ['Run install again; if it happens again, check the disk space on the host.'],
  });
}
