import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { BUNDLES_DIR, bundleMarker, bundleUpload } from '../host-layout.js';
import { mapAll } from '../util/concurrency.js';

/** An image archive of the file, with its checksum (computed once per run). */
interface Bundle {
  path: string;
  sha256: string;
  bytes: number;
  /** Read on first use and shared by every host. */
  content: () => Promise<Buffer>;
}

async function describeBundle(path: string): Promise<Bundle> {
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (error) {
    throw new UsageError(`images.bundles: cannot read ${path} (${(error as Error).message})`, {
      code: 'EBUNDLE_MISSING',
      suggestions: [
        'Fix the path (relative to the cluster file), or make the archive with `docker save -o`.',
      ],
    });
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  let cached: Promise<Buffer> | undefined;
  return { path, sha256: hash.digest('hex'), bytes, content: () => (cached ??= readFile(path)) };
}

/**
 * Loads the file's image archives (`docker save` tars) into every engine, so installs need no registry
 * on the internet. A host that has a bundle's marker (its SHA-256, under /var/lib/eectl/bundles, read
 * with the facts) is skipped; otherwise the archive is uploaded, checked against the local checksum,
 * loaded, and the marker written.
 */
export const imageBundlesPhase: Phase<ClusterContext> = {
  title: 'Load image bundles',
  shouldRun: (ctx) => ctx.config.spec.images.bundles.length > 0,
  async run(ctx, out) {
    const bundles = await Promise.all(ctx.config.spec.images.bundles.map(describeBundle));
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      for (const bundle of bundles) {
        if (host.facts?.files[bundleMarker(bundle.sha256)] !== undefined) continue;
        const size = `${(bundle.bytes / 1048576).toFixed(1)} MB`;
        await ctx.changes.apply(host, `load image bundle ${basename(bundle.path)} (${size})`, async () => {
          out.report(host.name, `uploading ${basename(bundle.path)}`);
          await loadBundle(host, bundle);
        });
      }
    });
  },
};

async function loadBundle(host: Host, bundle: Bundle): Promise<void> {
  const archive = bundleUpload(bundle.sha256);
  await host.sudo(['mkdir', '-p', '-m', '0755', BUNDLES_DIR]);
  await host.conn.upload(archive, await bundle.content(), { sudo: true, mode: 0o600 });
  try {
    const { stdout } = await host.sudo(['sha256sum', '--', archive]);
    const remote = stdout.split(/\s+/)[0];
    if (remote !== bundle.sha256) {
      throw new EectlError(
        `${host.name}: ${bundle.path} arrived damaged (SHA-256 ${remote ?? '?'}, expected ${bundle.sha256})`,
        {
          code: 'EBUNDLE_CHECKSUM',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: host.name,
          suggestions: ['Run install again; if it happens again, check the disk space on the host.'],
        },
      );
    }
    const loaded = await new HostDocker(host).load(archive);
    host.log.info(loaded.join(', ') || `loaded ${basename(bundle.path)}`);
    const marker = `${basename(bundle.path)}\n${loaded.join('\n')}\n`;
    await host.conn.upload(bundleMarker(bundle.sha256), marker, { sudo: true, mode: 0o644 });
  } finally {
    await host.sudo(['rm', '-f', '--', archive], { check: false });
  }
}
