import { SWARM_PARENT_DIR, EECTL_ETC_DIR } from '../host-layout.js';
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArchiveWriter } from '../backup/archive-writer.js';
import { archivesToPrune } from '../backup/retention.js';
import type { Host } from '../host/host.js';
import type { Phase, PhaseOutput } from './runner/phase.js';
import { withEngineStoppedForCopy } from './backup-engine-stop.js';
import type { BackupContext } from './backup-plan.js';

export const EECTL_ETC_PARTS = ['pki', 'registry'];
/** The registry's storage in the archive. */
export const REGISTRY_DATA_PREFIX = 'registry-data';
export const CLUSTER_FILE_ENTRY = 'cluster.yaml';
export const UNLOCK_KEY_ENTRY = 'swarm-unlock-key';

/** A copy can be large (registry data): time enough, and still a bound. */
const COPY_TIMEOUT_MS = 6 * 60 * 60_000;

/**
 * Streams everything into the archive: the swarm state while the source's engine is stopped, then eectl's
 * files from the same manager, the registry storage when asked, the cluster file, the manifest and its
 * signature with the cluster CA's key (manifest.sig); renames the archive into place and prunes old ones
 * (`--keep`). A failure leaves no archive behind.
 */
export const backupWritePhase: Phase<BackupContext, 'plan'> = {
  title: 'Copy the swarm state and write the archive',
  needs: ['plan'],
  async run(ctx, out) {
    const plan = ctx.plan;
    if (ctx.changes.dryRun) {
      await withEngineStoppedForCopy(ctx, plan, out, async () => undefined);
      return;
    }
    const writer = await ArchiveWriter.create(ctx.request.out, ctx.request.keys);
    try {
      await withEngineStoppedForCopy(ctx, plan, out, () =>
        copyTar(writer, plan.source, ['-C', SWARM_PARENT_DIR, 'swarm'], '', out, 'swarm state'),
      );
      await copyTar(
        writer,
        plan.source,
        ['-C', EECTL_ETC_DIR, '--ignore-failed-read', ...EECTL_ETC_PARTS],
        '',
        out,
        'certificates and registry files',
      );
      if (plan.registryHost && plan.registryPath) {
        await copyTar(
          writer,
          plan.registryHost,
          ['-C', plan.registryPath, '.'],
          REGISTRY_DATA_PREFIX,
          out,
          'registry storage',
        );
      }
      if (plan.unlockKey) await writer.addFile(UNLOCK_KEY_ENTRY, Buffer.from(`${plan.unlockKey}\n`));
      await writer.addFile(CLUSTER_FILE_ENTRY, ctx.request.clusterFile);
      ctx.written = await writer.finish(
        { ...plan.manifest, createdAt: new Date().toISOString() },
        plan.signer,
      );
    } catch (error) {
      await writer.abort();
      throw error;
    }
    if (ctx.request.keep !== undefined) ctx.pruned = await prune(ctx, ctx.request.keep);
  },
};

/** Runs `tar -c ARGS` on the host as root and streams its output into the archive under `prefix`. */
async function copyTar(
  writer: ArchiveWriter,
  host: Host,
  args: string[],
  prefix: string,
  out: PhaseOutput,
  what: string,
): Promise<void> {
  out.report(host.name, `copying the ${what}`);
  const { sink, done } = writer.tarSink(prefix);
  await host.sudo(['tar', '-c', ...args], { stdoutTo: sink, timeoutMs: COPY_TIMEOUT_MS });
  await done();
}

async function prune(ctx: BackupContext, keep: number): Promise<string[]> {
  const folder = dirname(ctx.request.out);
  const files = (await readdir(folder)).map((f) => join(folder, f));
  const doomed = archivesToPrune(ctx.config.metadata.name, files, keep);
  for (const file of doomed) {
    await rm(file, { force: true });
    ctx.log.info(`removed ${file} (--keep ${keep})`);
  }
  return doomed;
}
