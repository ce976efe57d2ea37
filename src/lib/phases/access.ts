import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClusterContext } from '../actions/cluster-context.js';
import { managers } from '../actions/cluster-context.js';
import { compilePolicy } from '../access/compile.js';
import type { AccessPolicy } from '../access/model.js';
import {
  ACCESS_DIR,
  AUTHZ_DIR,
  AUTHZ_MANIFEST,
  AUTHZ_NODE,
  AUTHZ_UNIT,
  AUTHZ_UNIT_NAME,
  PLUGIN_NAME,
  PLUGIN_SOCKET,
  PLUGIN_SPEC,
  POLICY_FILE,
} from '../access/paths.js';
import { parsePolicy } from '../access/plugin.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { PhaseOutput } from '../phase/phase.js';
import { findNodeRuntime, type NodeRuntime } from '../access/runtime.js';

/** The plugin's modules (dist/lib/access), uploaded as they are: they import only node: and each other. */
export const PLUGIN_MODULES = [
  'model.js',
  'json-fields.js',
  'routes.js',
  'restricted.js',
  'policy.js',
  'paths.js',
  'plugin.js',
];

/**
 * The plugin's unit: a plain service (not a container, so an engine restart or upgrade never stops it),
 * ordered before the engine, which refuses to start while an authorization plugin it names does not answer.
 * Restarted at once when it dies; its stdout (one JSON line per decision) is the audit log in journald.
 */
export function authzUnit(): string {
  return [
    '# Written by eectl: the authorization plugin of the engine API on this manager.',
    '[Unit]',
    'Description=eectl authorization plugin for the Docker engine API (docker.authz/1.0)',
    'Before=docker.service',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    `ExecStart=${AUTHZ_NODE} ${AUTHZ_DIR}/plugin.js`,
    'Restart=always',
    'RestartSec=1',
    'LogRateLimitIntervalSec=0',
    'NoNewPrivileges=yes',
    'ProtectHome=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target docker.service',
    '',
  ].join('\n');
}

/** What every manager gets when `spec.access` is set, decided once per run. */
export interface AccessPlan {
  policyJson: string;
  runtime: NodeRuntime;
  files: { path: string; content: string; mode: number }[];
  /** Checksums of everything in AUTHZ_DIR and the unit: equal to the host's manifest means nothing to upload. */
  manifest: string;
}

const plans = new WeakMap<ClusterContext, Promise<AccessPlan | undefined>>();

/** The access plan of this run (memoised), or undefined when the file has no `spec.access`. */
export function accessPlan(ctx: ClusterContext): Promise<AccessPlan | undefined> {
  let plan = plans.get(ctx);
  if (!plan) {
    plan = buildPlan(ctx);
    plans.set(ctx, plan);
  }
  return plan;
}

async function buildPlan(ctx: ClusterContext): Promise<AccessPlan | undefined> {
  const access = ctx.config.spec.access;
  if (!access) return undefined;
  for (const host of managers(ctx)) {
    if (host.known.arch !== 'amd64') {
      throw new UsageError(
        `${host.name}: the authorization plugin runs Node.js for linux-x64, and this manager is ${host.known.arch}`,
        {
          code: 'EACCESS_ARCH',
          host: host.name,
          suggestions: ['Use amd64 managers, or remove spec.access.'],
        },
      );
    }
  }
  const current = managers(ctx).flatMap((host): AccessPolicy[] => {
    const text = host.facts?.files[POLICY_FILE];
    if (text === undefined) return [];
    try {
      return [parsePolicy(text)];
    } catch {
      host.log.warn(
        `${POLICY_FILE} is not a policy eectl can read: it is replaced, and its revocations are lost`,
      );
      return [];
    }
  });
  const policyJson = `${JSON.stringify(compilePolicy(ctx.config.metadata.name, access, current), null, 2)}\n`;
  const runtime = await findNodeRuntime();
  const moduleDir = new URL('../access/', import.meta.url);
  const files = [
    ...(await Promise.all(
      PLUGIN_MODULES.map(async (name) => ({
        path: `${AUTHZ_DIR}/${name}`,
        content: await readFile(new URL(name, moduleDir), 'utf8'),
        mode: 0o644,
      })),
    )),
    { path: `${AUTHZ_DIR}/package.json`, content: '{ "type": "module" }\n', mode: 0o644 },
    { path: AUTHZ_UNIT, content: authzUnit(), mode: 0o644 },
    { path: PLUGIN_SPEC, content: `unix://${PLUGIN_SOCKET}\n`, mode: 0o644 },
  ];
  const sums = Object.fromEntries(files.map((f) => [f.path, sha256(f.content)]));
  const manifest = `${JSON.stringify({ node: runtime.sha256, nodeVersion: runtime.version, files: sums }, null, 2)}\n`;
  return { policyJson, runtime, files, manifest };
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/** daemon.json keys a host needs for access control: managers name the plugin. */
export async function accessDaemonKeys(ctx: ClusterContext, host: Host): Promise<Record<string, unknown>> {
  if (!host.isManager || !ctx.config.spec.access) return {};
  const own = ctx.config.spec.engine.daemon['authorization-plugins'];
  const listed = Array.isArray(own) ? own.filter((p): p is string => typeof p === 'string') : [];
  return { 'authorization-plugins': [...new Set([...listed, PLUGIN_NAME])] };
}

/**
 * Installs or updates the plugin on a manager, before its engine starts with the daemon.json that names
 * it (a fresh engine then never runs without it): runtime, modules and unit when the manifest differs, the
 * policy when it differs (the plugin reads it again by itself), and the service started when it is not.
 */
export async function deployAuthz(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  if (!host.isManager) return;
  const plan = await accessPlan(ctx);
  if (!plan) return;
  const files = host.facts?.files ?? {};
  const installed = files[AUTHZ_MANIFEST];
  let restart = false;
  if (installed !== plan.manifest) {
    await ctx.changes.apply(
      host,
      `install the authorization plugin (Node.js ${plan.runtime.version}) in ${AUTHZ_DIR}`,
      async () => {
        await host.sudo(['install', '-d', '-m', '0755', AUTHZ_DIR, ACCESS_DIR, '/etc/docker/plugins']);
        const old = installed ? (JSON.parse(installed) as { node?: string }).node : undefined;
        if (old !== plan.runtime.sha256) await uploadRuntime(host, plan.runtime, out);
        for (const f of plan.files) await host.conn.upload(f.path, f.content, { mode: f.mode, sudo: true });
        await host.sudo(['systemctl', 'daemon-reload']);
        await host.sudo(['systemctl', 'enable', AUTHZ_UNIT_NAME]);
      },
    );
    restart = true;
  }
  if (files[POLICY_FILE] !== plan.policyJson) {
    await ctx.changes.apply(host, `write the access policy ${POLICY_FILE}`, async () => {
      await host.sudo(['install', '-d', '-m', '0755', ACCESS_DIR]);
      // World-readable like the certificates: names and grants, no secret; the facts read it as the login user.
      await host.conn.upload(POLICY_FILE, plan.policyJson, { mode: 0o644, sudo: true });
    });
  }
  if (ctx.dryRun) return;
  const active =
    (await host.exec(['systemctl', 'is-active', AUTHZ_UNIT_NAME], { check: false })).stdout.trim() ===
    'active';
  if (restart || !active) {
    await ctx.changes.apply(host, `${active ? 'restart' : 'start'} ${AUTHZ_UNIT_NAME}`, async () => {
      await host.sudo(['systemctl', active ? 'restart' : 'start', AUTHZ_UNIT_NAME]);
    });
  }
  if (restart) await host.conn.upload(AUTHZ_MANIFEST, plan.manifest, { mode: 0o644, sudo: true });
}

async function uploadRuntime(host: Host, runtime: NodeRuntime, out: PhaseOutput): Promise<void> {
  out.report(host.name, `uploading Node.js ${runtime.version} (${(runtime.bytes / 1048576).toFixed(0)} MB)`);
  await host.conn.upload(AUTHZ_NODE, await runtime.content(), { mode: 0o755, sudo: true });
  const { stdout } = await host.sudo(['sha256sum', '--', AUTHZ_NODE]);
  const remote = stdout.split(/\s+/)[0];
  if (remote !== runtime.sha256) {
    throw new EectlError(
      `${host.name}: ${AUTHZ_NODE} arrived damaged (SHA-256 ${remote ?? '?'}, expected ${runtime.sha256})`,
      {
        code: 'EAUTHZ_CHECKSUM',
        kind: 'external',
        exitCode: ExitCode.partial,
        host: host.name,
        suggestions: ['Run install again; if it happens again, check the disk space on the host.'],
      },
    );
  }
}
