import { LIB_DIR } from '../../lib-dir.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { findNodeRuntime, type NodeRuntime } from '../../access/runtime.js';
import { EectlError, ExitCode } from '../../errors.js';
import type { Host } from '../../host/host.js';
import type { PhaseContext } from '../runner/phase.js';

/** A file of a program eectl runs on hosts, as uploaded. */
export interface ProgramFile {
  path: string;
  content: string;
  mode: number;
}

/** What a host needs to run one of eectl's Node programs, and the manifest that says whether it has it. */
export interface NodeProgram {
  runtime: NodeRuntime;
  files: ProgramFile[];
  /** Checksums of the runtime and of every file: equal to the host's copy means nothing to upload. */
  manifest: string;
}

export const sha256 = (content: string | Buffer): string =>
  createHash('sha256').update(content).digest('hex');

/**
 * One of eectl's Node programs (the authorization plugin and token service, the ingress watcher, the
 * webhook relay): `modules`, by their path under dist/lib, uploaded as they are into the same folders under
 * `dir` (their relative imports hold), a package.json that makes them ES modules, then the program's
 * `others` (units, vendored packages); and the manifest of them all with the runtime.
 */
export async function nodeProgram(
  dir: string,
  modules: readonly string[],
  others: readonly ProgramFile[],
): Promise<NodeProgram> {
  const runtime = await findNodeRuntime();
  const files = [
    ...(await Promise.all(
      modules.map(async (name) => ({
        path: `${dir}/${name}`,
        content: await readFile(new URL(name, LIB_DIR), 'utf8'),
        mode: 0o644,
      })),
    )),
    { path: `${dir}/package.json`, content: '{ "type": "module" }\n', mode: 0o644 },
    ...others,
  ];
  const sums = Object.fromEntries(files.map((f) => [f.path, sha256(f.content)]));
  const manifest = `${JSON.stringify({ node: runtime.sha256, nodeVersion: runtime.version, files: sums }, null, 2)}\n`;
  return { runtime, files, manifest };
}

/** Uploads the Node.js runtime to `path` on the host and checks what arrived. */
export async function uploadRuntime(host: Host, runtime: NodeRuntime, path: string): Promise<void> {
  await host.conn.upload(path, await runtime.content(), { mode: 0o755, sudo: true });
  const remote = (await host.sudo(['sha256sum', '--', path])).stdout.split(/\s+/)[0];
  if (remote === runtime.sha256) return;
  throw new EectlError(
    `${host.name}: ${path} arrived damaged (SHA-256 ${remote ?? '?'}, expected ${runtime.sha256})`,
    {
      code: 'ERUNTIME_CHECKSUM',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: ['Run install again; if it happens again, check the disk space on the host.'],
    },
  );
}

/** The systemd unit of one of eectl's programs: restarted at once when it dies, however often. */
export interface ProgramUnit {
  /** What the unit is, after "# Written by eectl: ". */
  about: string;
  description: string;
  /** Its ordering line: `After=…` or `Before=…`. */
  order: string;
  execStart: string;
  /** The rest of [Service]: its user, what it may reach, how it restarts. */
  service: readonly string[];
  wantedBy?: string;
}

/** The unit text: the same layout for every program, so each says only what differs. */
export function programUnit(unit: ProgramUnit): string {
  return [
    `# Written by eectl: ${unit.about}`,
    '[Unit]',
    `Description=${unit.description}`,
    unit.order,
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    `ExecStart=${unit.execStart}`,
    ...unit.service,
    '',
    '[Install]',
    `WantedBy=${unit.wantedBy ?? 'multi-user.target'}`,
    '',
  ].join('\n');
}

/** The end of [Service] of a program confined to its own files: private /tmp, read-only system, no new privileges. */
export const CONFINED_SERVICE = [
  'PrivateTmp=yes',
  'Restart=always',
  'RestartSec=1',
  'NoNewPrivileges=yes',
  'ProtectHome=yes',
  'ProtectSystem=strict',
] as const;

/** [Service] lines of a program that runs as its own system user (made by `systemUserArgv`), with no capability. */
export function ownUserService(user: string): string[] {
  return [`User=${user}`, `Group=${user}`, 'CapabilityBoundingSet='];
}

/**
 * The `InaccessiblePaths=` line that keeps the engine's and containerd's sockets and the managers' PKI
 * folder out of a program's sight, and `more` paths (each `-` prefixed: a path the host lacks is no error).
 */
export function hiddenPaths(...more: string[]): string {
  return `InaccessiblePaths=${['/run/docker.sock', '/var/run/docker.sock', '/run/containerd', '/etc/eectl/pki', ...more].map((p) => `-${p}`).join(' ')}`;
}

/** What a program's deploy does besides its files, each true when it changed what the running program holds. */
export interface DeploySteps {
  /** Before the files: its user, folders, certificate. */
  prepare?: () => Promise<boolean>;
  /** After the files, before the start: the settings it reads when it starts. */
  settings?: () => Promise<boolean>;
}

/**
 * The one way eectl deploys a program on a host: `prepare`, the files when the host's manifest is not the
 * plan's, `settings`, then the unit started, or restarted when the files or anything `prepare` or
 * `settings` changed.
 */
export async function deployProgram(
  ctx: PhaseContext,
  host: Host,
  plan: NodeProgram,
  place: ProgramPlace,
  steps: DeploySteps = {},
): Promise<void> {
  const installed = await installedManifest(host, place);
  const prepared = (await steps.prepare?.()) ?? false;
  const fresh = await installProgram(ctx, host, plan, place, installed);
  const settled = (await steps.settings?.()) ?? false;
  await startProgram(ctx, host, plan, place, { fresh, changed: prepared || settled });
}

/** Where a program lives on a host. */
export interface ProgramPlace {
  /** What the change log calls it: "the ingress watcher". */
  what: string;
  /** The folders its files go to, made first, each with its mode. */
  dirs: readonly (readonly [path: string, mode: string])[];
  /** Where its Node.js runtime goes. */
  node: string;
  /** Where the host keeps the manifest of what is installed. */
  manifest: string;
  unit: string;
}

/** The manifest of the program as the host has it, if any. */
async function installedManifest(host: Host, place: ProgramPlace): Promise<string | undefined> {
  return (await host.conn.readFile(place.manifest))?.toString('utf8');
}

/**
 * Installs the program's files when the host's manifest is not the plan's (the runtime only when it
 * changed) and enables its unit; true when it did. The manifest is written once the unit runs
 * (startProgram), so a run stopped in between installs again.
 */
async function installProgram(
  ctx: PhaseContext,
  host: Host,
  plan: NodeProgram,
  place: ProgramPlace,
  installed: string | undefined,
): Promise<boolean> {
  if (installed === plan.manifest) return false;
  const dir = place.dirs[0]?.[0] ?? place.node;
  await ctx.changes.apply(host, `install ${place.what} in ${dir}`, async () => {
    // One `install -d` per run of folders with the same mode, in order.
    for (const [mode, paths] of runsByMode(place.dirs))
      await host.sudo(['install', '-d', '-m', mode, ...paths]);
    const oldNode = installed && (JSON.parse(installed) as { node?: string }).node;
    if (oldNode !== plan.runtime.sha256) await uploadRuntime(host, plan.runtime, place.node);
    for (const f of plan.files) await host.conn.upload(f.path, f.content, { mode: f.mode, sudo: true });
    await host.sudo(['systemctl', 'daemon-reload']);
    await host.sudo(['systemctl', 'enable', place.unit]);
  });
  return true;
}

/**
 * Starts the program's unit when it does not run, or restarts it when `changed` (its files, its
 * settings, its certificate); then records the manifest when its files were installed (`fresh`).
 */
async function startProgram(
  ctx: PhaseContext,
  host: Host,
  plan: NodeProgram,
  place: ProgramPlace,
  { fresh, changed }: { fresh: boolean; changed: boolean },
): Promise<void> {
  if (ctx.changes.dryRun) return;
  const active =
    (await host.exec(['systemctl', 'is-active', place.unit], { check: false })).stdout.trim() === 'active';
  if (fresh || changed || !active) {
    await ctx.changes.apply(host, `${active ? 'restart' : 'start'} ${place.unit}`, () =>
      host.sudo(['systemctl', active ? 'restart' : 'start', place.unit]),
    );
  }
  if (fresh) await host.conn.upload(place.manifest, plan.manifest, { mode: 0o644, sudo: true });
}

function runsByMode(dirs: ProgramPlace['dirs']): [mode: string, paths: string[]][] {
  const runs: [string, string[]][] = [];
  for (const [path, mode] of dirs) {
    const last = runs.at(-1);
    if (last && last[0] === mode) last[1].push(path);
    else runs.push([mode, [path]]);
  }
  return runs;
}

/** Adds a system user (and its group) for a program: no home, no login shell. */
export function systemUserArgv(user: string): string[] {
  return [
    'useradd',
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    user,
  ];
}
