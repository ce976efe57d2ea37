import type { Host } from '../host/host.js';
import type { ClusterContext } from '../phase/cluster-context.js';
import type { Phase } from '../phase/phase.js';
import { addSecret } from '../ui/redact.js';
import { mapAll } from '../util/concurrency.js';
import {
  RELAY_DIR,
  RELAY_MANIFEST,
  RELAY_NODE,
  RELAY_ENTRY,
  RELAY_SETTINGS,
  RELAY_SETTINGS_DIR,
  RELAY_STATE_DIR,
  RELAY_UNIT,
  RELAY_UNIT_NAME,
  RELAY_USER,
} from '../webhooks/names.js';
import type { RelaySettings } from '../webhooks/relay.js';
import { nodeProgram, uploadRuntime, type NodeProgram } from '../converge/node-program.js';
import { registryHosts } from './registry-plan.js';

/** The relay's modules by their path under dist/lib (they import only node: built-ins and each other). */
export const RELAY_MODULES = ['webhooks/relay.js', 'webhooks/sign.js', 'webhooks/names.js'];

/**
 * The relay's unit: its own user with no capability, restarted at once when it dies; it may write only its
 * StateDirectory (the counters), and the engine's socket and eectl's key folders are out of its sight.
 */
export function relayUnit(): string {
  return [
    "# Written by eectl: signs the registry's notifications and forwards them to spec.registry.notifications.",
    '[Unit]',
    'Description=eectl webhook relay',
    'After=network-online.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    `ExecStart=${RELAY_NODE} ${RELAY_ENTRY}`,
    `User=${RELAY_USER}`,
    `Group=${RELAY_USER}`,
    `StateDirectory=${RELAY_STATE_DIR.slice('/var/lib/'.length)}`,
    'StateDirectoryMode=0755',
    'CapabilityBoundingSet=',
    'InaccessiblePaths=-/run/docker.sock -/var/run/docker.sock -/run/containerd -/etc/eectl/pki -/etc/eectl/registry',
    'PrivateTmp=yes',
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

interface RelayPlan extends NodeProgram {
  settings: string;
}

async function relayPlan(settings: RelaySettings): Promise<RelayPlan> {
  const program = await nodeProgram(RELAY_DIR, RELAY_MODULES, [
    { path: RELAY_UNIT, content: relayUnit(), mode: 0o644 },
  ]);
  const text = `${JSON.stringify(settings, null, 2)}\n`;
  addSecret(text);
  return { ...program, settings: text };
}

/**
 * The webhook relay on every registry host (webhooks/relay.ts), before the replicas that post to it are
 * rolled out: installed or updated, given its settings (0600, its user's: the endpoints' signing secrets
 * and the replicas' token), and (re)started when any of it changed. Without webhooks, a relay left from an
 * earlier file is stopped and its settings removed.
 */
export const registryWebhooksPhase: Phase<ClusterContext> = {
  title: 'Deploy the webhook relays',
  shouldRun: (ctx) => ctx.registry !== undefined && registryHosts(ctx).length > 0,
  async run(ctx) {
    const settings = ctx.registry?.relay;
    if (!settings) {
      await mapAll(registryHosts(ctx), ctx.concurrency, (h) => retireRelay(ctx, h));
      return;
    }
    const plan = await relayPlan(settings);
    await mapAll(registryHosts(ctx), ctx.concurrency, (h) => deployRelay(ctx, h, plan));
  },
};

async function deployRelay(ctx: ClusterContext, host: Host, plan: RelayPlan): Promise<void> {
  const installed = (await host.conn.readFile(RELAY_MANIFEST))?.toString('utf8');
  const fresh = installed !== plan.manifest;
  const hasUser = (await host.exec(['id', '-u', RELAY_USER], { check: false })).code === 0;
  if (!hasUser) {
    await ctx.changes.apply(host, `add the system user ${RELAY_USER} for the webhook relay`, () =>
      host.sudo([
        'useradd',
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        RELAY_USER,
      ]),
    );
  }
  if (fresh) {
    await ctx.changes.apply(host, `install the webhook relay in ${RELAY_DIR}`, async () => {
      await host.sudo(['install', '-d', '-m', '0755', RELAY_DIR, `${RELAY_DIR}/webhooks`]);
      const oldNode = installed && (JSON.parse(installed) as { node?: string }).node;
      if (oldNode !== plan.runtime.sha256) await uploadRuntime(host, plan.runtime, RELAY_NODE);
      for (const f of plan.files) await host.conn.upload(f.path, f.content, { mode: 0o644, sudo: true });
      await host.sudo(['systemctl', 'daemon-reload']);
      await host.sudo(['systemctl', 'enable', RELAY_UNIT_NAME]);
    });
  }
  const have = (await host.conn.readFile(RELAY_SETTINGS, { sudo: true }))?.toString('utf8');
  addSecret(have);
  const settingsChanged = have !== plan.settings;
  if (settingsChanged) {
    await ctx.changes.apply(
      host,
      `write the webhook relay's endpoints and secrets (${RELAY_SETTINGS})`,
      async () => {
        await host.sudo(['install', '-d', '-m', '0750', '-o', 'root', '-g', RELAY_USER, RELAY_SETTINGS_DIR]);
        await host.conn.upload(RELAY_SETTINGS, plan.settings, {
          mode: 0o600,
          sudo: true,
          owner: `${RELAY_USER}:${RELAY_USER}`,
        });
      },
    );
  }
  if (ctx.changes.dryRun) return;
  const active =
    (await host.exec(['systemctl', 'is-active', RELAY_UNIT_NAME], { check: false })).stdout.trim() ===
    'active';
  if (fresh || settingsChanged || !active) {
    await ctx.changes.apply(host, `${active ? 'restart' : 'start'} ${RELAY_UNIT_NAME}`, () =>
      host.sudo(['systemctl', active ? 'restart' : 'start', RELAY_UNIT_NAME]),
    );
  }
  if (fresh) await host.conn.upload(RELAY_MANIFEST, plan.manifest, { mode: 0o644, sudo: true });
}

/** A relay from an earlier file with webhooks: stopped, disabled, and its secrets removed. */
async function retireRelay(ctx: ClusterContext, host: Host): Promise<void> {
  const settings = await host.sudo(['test', '-e', RELAY_SETTINGS], { check: false });
  if (settings.code !== 0) return;
  await ctx.changes.apply(
    host,
    `stop the webhook relay (no spec.registry.notifications) and remove its secrets`,
    async () => {
      await host.sudo(['systemctl', 'disable', '--now', RELAY_UNIT_NAME], { check: false });
      await host.sudo(['rm', '-f', '--', RELAY_SETTINGS]);
    },
  );
}
