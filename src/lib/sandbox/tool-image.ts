import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { DockerCli } from './docker.js';
import { runLocal } from './exec.js';

/**
 * Tiny images made from single Debian binaries (no registry can be pulled from): busybox's httpd serves
 * the package mirror, and `docker-registry` becomes the registry image (registry-image.ts).
 */

/** Fetched with the mirror's packages, into `tools/` of the cache. */
export const TOOL_PACKAGES = ['busybox-static', 'docker-registry', 'libc6'];

export const toolsDir = (cacheDir: string): string => join(cacheDir, 'tools');

export interface ToolContext {
  docker: DockerCli;
  cacheDir: string;
  logger: Logger;
}

/** Whether every tool package is in the cache. */
export async function toolDebsCached(cacheDir: string): Promise<boolean> {
  for (const name of TOOL_PACKAGES) if (!(await findDeb(cacheDir, name))) return false;
  return true;
}

/** The cached .deb of a tool package (the newest by name when several versions are there). */
export async function findDeb(cacheDir: string, name: string): Promise<string | undefined> {
  const dir = toolsDir(cacheDir);
  if (!existsSync(dir)) return undefined;
  const debs = (await readdir(dir)).filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb')).sort();
  const newest = debs.at(-1);
  return newest && join(dir, newest);
}

/** A package's Version field, e.g. `2.8.2+ds1-1`. */
export async function debVersion(deb: string, logger: Logger): Promise<string> {
  return (await runLocal('dpkg-deb', ['--field', deb, 'Version'], { logger })).stdout.trim();
}

/** Unpacks a .deb's files into `target` (dpkg-deb -x: no scripts run). */
export async function extractDeb(deb: string, target: string, logger: Logger): Promise<void> {
  await runLocal('dpkg-deb', ['--extract', deb, target], { logger });
}

/**
 * Imports an image whose root holds exactly `files` (path in the image → file on this machine) plus the
 * given Dockerfile-style changes (ENTRYPOINT, CMD …).
 */
export async function importFiles(
  ctx: ToolContext,
  image: string,
  files: Record<string, string>,
  changes: string[],
): Promise<void> {
  await mkdir(ctx.cacheDir, { recursive: true });
  const stage = await mkdtemp(join(ctx.cacheDir, 'image-'));
  try {
    const root = join(stage, 'root');
    for (const [inImage, source] of Object.entries(files)) {
      const target = join(root, inImage);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
    }
    await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
    const tarball = join(stage, 'root.tar');
    await runLocal('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarball, '.'], {
      logger: ctx.logger,
    });
    await ctx.docker.importImage(tarball, image, changes);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Debian's busybox-static package in the sandbox cache (the tool image and the first workload use it). */
export async function busyboxDeb(ctx: ToolContext): Promise<string> {
  const deb = await findDeb(ctx.cacheDir, 'busybox-static');
  if (deb) return deb;
  throw new EectlError('busybox-static is missing from the sandbox cache', {
    code: 'ESANDBOXCACHE',
    kind: 'bug',
    suggestions: [`Remove ${join(ctx.cacheDir, 'mirror')} and run eectl sandbox up again to rebuild it.`],
  });
}

/** The image of the mirror's file server (busybox httpd, statically linked). Returns its tag. */
export async function ensureToolImage(ctx: ToolContext): Promise<string> {
  const deb = await busyboxDeb(ctx);
  const version = (await debVersion(deb, ctx.logger)).replace(/^\d+:/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  const image = `eectl-sandbox/busybox:${version}`;
  if (await ctx.docker.imageExists(image)) return image;
  const unpacked = await mkdtemp(join(ctx.cacheDir, 'busybox-'));
  try {
    await extractDeb(deb, unpacked, ctx.logger);
    await importFiles(ctx, image, { 'bin/busybox': join(unpacked, 'bin/busybox') }, [
      'CMD ["/bin/busybox", "sh"]',
    ]);
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
  return image;
}
