import type { Host } from '../host/host.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { addSecret } from '../util/redact.js';
import { mapAll } from '../util/concurrency.js';
import {
  RELAY_DIR,
  RELAY_MANIFEST,
  RELAY_NODE,
  RELAY_ENTRY,
  RELAY_SETTINGS,
  RELAY_SETTINGS_DIR,
  RELAY_STATE_DIR,
  RELAY_USER,
} from '../webhooks/names.js';
import { RELAY_UNIT, RELAY_UNIT_NAME } from '../host-layout.js';
import type { RelaySettings } from '../webhooks/relay.js';
import {
  CONFINED_SERVICE,
  deployProgram,
  hiddenPaths,
  systemUserArgv,
  nodeProgram,
  programUnit,
  type NodeProgram,
  type ProgramPlace,
} from './converge/node-program.js';
import { registryHosts } from './registry-plan.js';

/** The relay's modules by their path under dist/lib (they import only node: built-ins and each other). */
export const RELAY_MODULES = ['webhooks/relay.js', 'webhooks/sign.js', 'webhooks/names.js'];

/**
 * The relay's unit: its own user with no capability, restarted at once when it dies; it may write only its
 * StateDirectory (the counters), and the engine's socket and eectl's key folders are out of its sight.
 */
export function relayUnit(): string {
  return programUnit({
    about: "signs the registry's notifications and forwards them to spec.registry.notifications.",
    description: 'eectl webhook relay',
    order: 'After=network-online.target',
    execStart: `${RELAY_NODE} ${RELAY_ENTRY}`,
    // The lines in the order units of earlier versions have them: another text would reinstall the relay.
    service: [
      `User=${RELAY_USER}`,
      `Group=${RELAY_USER}`,
      `StateDirectory=${RELAY_STATE_DIR.slice('/var/lib/'.length)}`,
      'StateDirectoryMode=0755',
      'CapabilityBoundingSet=',
      hiddenPaths('/etc/eectl/registry'),
      ...CONFINED_SERVICE,
    ],
  });
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
  await deployProgram(ctx, host, plan, RELAY_PLACE, {
    prepare: async () => {
      const hasUser = (await host.exec(['id', '-u', RELAY_USER], { check: false })).code === 0;
      if (!hasUser) {
        await ctx.changes.apply(host, `add the system user ${RELAY_USER} for the webhook relay`, () =>
          host.sudo(systemUserArgv(RELAY_USER)),
        );
      }
      return false;
    },
    settings: async () => {
      const have = (await host.conn.readFile(RELAY_SETTINGS, { sudo: true }))?.toString('utf8');
      addSecret(have);
      if (have === plan.settings) return false;
      await ctx.changes.apply(
        host,
        `write the webhook relay's endpoints and secrets (${RELAY_SETTINGS})`,
        async () => {
          await host.sudo([
            'install',
            '-d',
            '-m',
            '0750',
            '-o',
            'root',
            '-g',
            RELAY_USER,
            RELAY_SETTINGS_DIR,
          ]);
          await host.conn.upload(RELAY_SETTINGS, plan.settings, {
            mode: 0o600,
            sudo: true,
            owner: `${RELAY_USER}:${RELAY_USER}`,
          });
        },
      );
      return true;
    },
  });
}

const RELAY_PLACE: ProgramPlace = {
  what: 'the webhook relay',
  dirs: [
    [RELAY_DIR, '0755'],
    [`${RELAY_DIR}/webhooks`, '0755'],
  ],
  node: RELAY_NODE,
  manifest: RELAY_MANIFEST,
  unit: RELAY_UNIT_NAME,
};

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
