import { oncePer } from '../../util/once-per.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { requestRestart, type ClusterContext } from '../runner/cluster-context.js';
import { EectlError, ExitCode } from '../../errors.js';
import type { Host } from '../../host/host.js';
import { serviceManagerFor } from '../../host/service/index.js';
import type { PhaseOutput } from '../runner/phase.js';
import { applySteps } from '../runner/steps.js';
import { readFilesState } from '../../files/host-state.js';
import {
  describeFileChange,
  filesForHost,
  ownerOf,
  parseMode,
  planHostFiles,
  type FileChange,
  type HostFilesWork,
  type WantedFile,
} from '../../files/plan.js';
import { markRestartPending } from '../rolling/roll.js';

/**
 * The files of `files:` on one host, in two steps: `planFiles` (phases/files-check.ts, before any change
 * on any host) reads what the host has in one round trip and refuses what it must; `applyFiles`, in
 * convergeEngine once the engine's packages are in place (the docker group exists then), writes what differs. A changed file that restarts the
 * engine of a host serving in the swarm is written in that host's turn of the rolling change; on a host
 * not serving yet it is written at once and the engine restarts with convergeEngine's own restart.
 */

/** Bytes and checksum of each source, read once per run however many hosts get it. */
const sourcesOf = oncePer(
  (_ctx: ClusterContext) => new Map<string, Promise<{ content: Buffer; sha256: string }>>(),
);

function source(ctx: ClusterContext, path: string): Promise<{ content: Buffer; sha256: string }> {
  const cache = sourcesOf(ctx);
  let read = cache.get(path);
  if (!read) {
    read = readFile(path).then((content) => ({
      content,
      sha256: createHash('sha256').update(content).digest('hex'),
    }));
    cache.set(path, read);
  }
  return read;
}

/** `u:NAME` / `g:NAME` for every owner given by name (numeric ids need no check). */
function ownerNames(wanted: readonly WantedFile[]): string[] {
  const names = new Set<string>();
  for (const file of wanted) {
    if (file.spec.owner === undefined) continue;
    const { user, group } = ownerOf(file.spec);
    if (!/^[0-9]+$/.test(user)) names.add(`u:${user}`);
    if (group !== undefined && !/^[0-9]+$/.test(group)) names.add(`g:${group}`);
  }
  return [...names];
}

/** Reads the host's side of its files and judges them; throws (nothing changed on the host) on a refusal. */
export async function planFiles(ctx: ClusterContext, host: Host): Promise<HostFilesWork | undefined> {
  const index = ctx.config.spec.hosts.indexOf(host.spec);
  const entries = filesForHost(ctx.config.spec.files, host.spec, index);
  if (entries.length === 0) return undefined;
  const wanted: WantedFile[] = await Promise.all(
    entries.map(async (e) => ({ ...e, ...(await source(ctx, e.spec.source)) })),
  );
  const owners = ownerNames(wanted);
  const state = await readFilesState(
    host,
    wanted.map((w) => w.spec.destination),
    owners,
  );
  const plan = planHostFiles(wanted, state.files);
  if (plan.refusals.length > 0) {
    throw new EectlError(`${host.name}: files not written: ${plan.refusals.join('; ')}`, {
      code: 'EFILE_REFUSED',
      exitCode: ExitCode.preflight,
      host: host.name,
      suggestions: ['Choose another destination in the cluster file; nothing was written on this host.'],
    });
  }
  return { plan, unknownOwners: state.unknownOwners, owners };
}

/** Writes what `planFiles` found different. Returns whether the engine of a host not serving must restart. */
export async function applyFiles(
  ctx: ClusterContext,
  host: Host,
  work: HostFilesWork,
  out: PhaseOutput,
  serving: boolean,
): Promise<boolean> {
  const { plan } = work;
  if (plan.changes.length === 0) return false;
  await checkOwners(ctx, host, work);
  const service = serviceManagerFor(host.known.initSystem);
  const engineFile = (c: FileChange) => {
    const restart = c.file.spec.restart;
    return restart !== undefined && plan.engineRestarts.includes(restart);
  };
  // On a serving host the engine's files wait for its turn, when it is drained; everything else now.
  const deferred = serving ? plan.changes.filter(engineFile) : [];
  const now = plan.changes.filter((c) => !deferred.includes(c));
  await writeFiles(ctx, host, now, out);
  for (const name of plan.serviceRestarts) await applySteps(ctx, host, service.restart(name), out);
  if (deferred.length === 0) {
    if (plan.engineRestarts.includes('containerd'))
      await applySteps(ctx, host, service.restart('containerd'), out);
    return plan.engineRestarts.length > 0;
  }
  const why = `files changed: ${deferred.map((c) => c.file.spec.destination).join(', ')}`;
  if (ctx.changes.dryRun) {
    // A dry run's turn does no work: the writes are listed here, the restart by the rolling change.
    for (const change of deferred)
      await ctx.changes.apply(
        host,
        `${describeFileChange(change)} in its turn of the rolling change`,
        async () => undefined,
      );
  }
  requestRestart(ctx, host, why, {
    apply: [
      async (turnOut) => {
        await markRestartPending(ctx, host, why);
        await writeFiles(ctx, host, deferred, turnOut);
        if (plan.engineRestarts.includes('containerd'))
          await applySteps(ctx, host, service.restart('containerd'), turnOut);
      },
    ],
  });
  return false;
}

/** Each file through the upload of every connection: temp file, mode and owner set, then renamed in place. */
async function writeFiles(
  ctx: ClusterContext,
  host: Host,
  changes: readonly FileChange[],
  out: PhaseOutput,
): Promise<void> {
  for (const change of changes) {
    const { spec, content } = change.file;
    await ctx.changes.apply(host, describeFileChange(change), async () => {
      out.report(host.name, `upload ${spec.destination}`);
      await host.sudo(['mkdir', '-p', '--', posix.dirname(spec.destination)]);
      await host.conn.upload(spec.destination, content, {
        mode: parseMode(spec.mode),
        ...(spec.owner !== undefined && { owner: spec.owner }),
        sudo: true,
      });
    });
  }
  // A unit file or drop-in is read by systemd only after a reload: before any restart that needs it.
  if (changes.some((c) => SYSTEMD_DIRS.some((d) => c.file.spec.destination.startsWith(d))))
    await applySteps(ctx, host, serviceManagerFor(host.known.initSystem).daemonReload(), out);
}

const SYSTEMD_DIRS = ['/etc/systemd/', '/lib/systemd/', '/usr/lib/systemd/', '/run/systemd/'];

/**
 * Owners the host did not know at the first read: read again (the engine's package may have created the
 * group since), and refused when still unknown. A dry run cannot install the package: it warns.
 */
async function checkOwners(ctx: ClusterContext, host: Host, work: HostFilesWork): Promise<void> {
  if (work.unknownOwners.length === 0) return;
  const missing = ctx.changes.dryRun
    ? work.unknownOwners
    : (
        await readFilesState(
          host,
          [],
          work.owners.filter((o) => unknownName(work, o)),
        )
      ).unknownOwners;
  if (missing.length === 0) return;
  const message = `${host.name}: files name owners the host does not have: ${missing.join(', ')}`;
  if (ctx.changes.dryRun) {
    ctx.warnings = [...(ctx.warnings ?? []), `${message} (unless the engine's package creates them)`];
    return;
  }
  throw new EectlError(message, {
    code: 'EFILE_OWNER',
    kind: 'external',
    exitCode: ExitCode.partial,
    host: host.name,
    suggestions: [
      'Create the user or group on the host, or change owner in the cluster file; then run install again.',
    ],
  });
}

const unknownName = (work: HostFilesWork, owner: string): boolean =>
  work.unknownOwners.includes(`${owner.startsWith('u:') ? 'user' : 'group'} ${owner.slice(2)}`);
