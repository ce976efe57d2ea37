import type { Host } from '../host/host.js';
import type { ClusterContext } from './runner/cluster-context.js';
import {
  GATE_CERT,
  GATE_CONFIG,
  GATE_CONFIG_DIR,
  GATE_DIR,
  GATE_ENTRY,
  GATE_KEY,
  GATE_MANIFEST,
  GATE_NODE,
  REGISTRY_SOCKET_DIR,
  REGISTRY_SOCKET_NAME,
} from '../registry/gate-paths.js';
import { GATE_UNIT, GATE_UNIT_NAME, REGISTRY_CERT_FILE, REGISTRY_KEY_FILE } from '../host-layout.js';
import type { RegistryPlan } from '../registry/plan.js';
import {
  CONFINED_SERVICE,
  deployProgram,
  hiddenPaths,
  nodeProgram,
  programUnit,
  type NodeProgram,
  type ProgramPlace,
} from './converge/node-program.js';

/**
 * The gate's modules by their path under dist/lib, uploaded as they are into the same folders under
 * GATE_DIR (their relative imports hold): they import only node: built-ins and each other.
 */
export const GATE_MODULES = [
  'registry/gate.js',
  'registry/gate-rules.js',
  'registry/gate-paths.js',
  'registry/repository-pattern.js',
];

/**
 * The gate's unit: root (it reads the registry's key and reaches Distribution's root-only socket) with
 * no capability but binding a low port, restarted at once when it dies. While Distribution still holds
 * the port (the rollout to the socket is under way) it fails to listen and systemd starts it again.
 */
export function gateUnit(): string {
  return programUnit({
    about: 'the registry port, in front of Distribution (registry.immutable in cluster.yaml).',
    description: 'eectl registry gate (immutable tags)',
    order: 'After=network-online.target docker.service',
    execStart: `${GATE_NODE} ${GATE_ENTRY}`,
    service: [
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
      hiddenPaths(),
      ...CONFINED_SERVICE,
    ],
  });
}

/** The gate's settings file: the registry's port, Distribution's socket and the patterns. */
export function gateConfig(port: number, immutable: readonly string[]): string {
  const socket = `${REGISTRY_SOCKET_DIR}/${REGISTRY_SOCKET_NAME}`;
  return `${JSON.stringify({ port, socket, immutable }, null, 2)}\n`;
}

async function gateFiles(ctx: ClusterContext, plan: RegistryPlan): Promise<NodeProgram> {
  const spec = ctx.config.spec.registry;
  const cert = plan.stateFiles.get(REGISTRY_CERT_FILE)!.content;
  const key = plan.stateFiles.get(REGISTRY_KEY_FILE)!.content;
  const program = await nodeProgram(GATE_DIR, GATE_MODULES, [
    { path: GATE_UNIT, content: gateUnit(), mode: 0o644 },
    { path: GATE_CONFIG, content: gateConfig(spec.port, spec.immutable), mode: 0o644 },
    { path: GATE_CERT, content: cert, mode: 0o644 },
  ]);
  // The key is not in the manifest: a new key always comes with a new certificate, which is.
  return { ...program, files: [...program.files, { path: GATE_KEY, content: key, mode: 0o600 }] };
}

/**
 * With `registry.immutable`: the socket folder and the gate on every registry host, installed or updated
 * and running, before the replicas move from the port to the socket. Without: the gate stopped and
 * removed where an earlier install left one, before the replicas take the port back.
 */
export async function convergeGates(ctx: ClusterContext, hosts: readonly Host[], plan: RegistryPlan) {
  const gated = ctx.config.spec.registry.immutable.length > 0;
  if (!gated) {
    for (const host of hosts) await removeGate(ctx, host);
    return;
  }
  const files = await gateFiles(ctx, plan);
  for (const host of hosts) await deployGate(ctx, host, files);
}

async function deployGate(ctx: ClusterContext, host: Host, plan: NodeProgram): Promise<void> {
  const hasSocketDir = (await host.sudo(['test', '-d', REGISTRY_SOCKET_DIR], { check: false })).code === 0;
  if (!hasSocketDir) {
    await ctx.changes.apply(
      host,
      `create the registry socket folder ${REGISTRY_SOCKET_DIR} (root only)`,
      () => host.sudo(['install', '-d', '-m', '0700', '-o', 'root', '-g', 'root', REGISTRY_SOCKET_DIR]),
    );
  }
  await deployProgram(ctx, host, plan, GATE_PLACE);
}

const GATE_PLACE: ProgramPlace = {
  what: 'the registry gate (immutable tags)',
  dirs: [
    [GATE_DIR, '0755'],
    [`${GATE_DIR}/registry`, '0755'],
    // Its settings and the registry's key: root only.
    [GATE_CONFIG_DIR, '0700'],
  ],
  node: GATE_NODE,
  manifest: GATE_MANIFEST,
  unit: GATE_UNIT_NAME,
};

async function removeGate(ctx: ClusterContext, host: Host): Promise<void> {
  const present = (await host.exec(['test', '-e', GATE_UNIT], { check: false })).code === 0;
  if (!present) return;
  await ctx.changes.apply(host, `remove the registry gate (registry.immutable is empty)`, async () => {
    await host.sudo(['systemctl', 'disable', '--now', GATE_UNIT_NAME], { check: false });
    await host.sudo(['rm', '-rf', '--', GATE_UNIT, GATE_DIR, GATE_CONFIG_DIR]);
    await host.sudo(['systemctl', 'daemon-reload']);
  });
}
