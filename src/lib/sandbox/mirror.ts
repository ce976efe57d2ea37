import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { AptWorkspace, type DebianMirrors } from './apt.js';
import { mirrorRunArgs, type DockerCli } from './docker.js';
import { runLocal } from './exec.js';
import type { HostRootfs } from './image.js';
import { ensureMirrorKey, signRelease } from './mirror-signing.js';
import { LABEL, mirrorContainerName } from './state.js';
import { ensureToolImage, TOOL_PACKAGES, toolDebsCached, toolsDir } from './tool-image.js';

/**
 * The sandbox's package mirror (eectl's `engine.source: mirror`, as air-gapped sites have): an apt
 * repository with two docker.io versions, so installs and upgrades are real, served over HTTP on the
 * sandbox network's gateway. The .debs are cached and every version is kept.
 */

export const MIRROR_PORT = 18080;
/** The repository's layout: `<url> bookworm main`, like a Debian mirror. */
export const MIRROR_SUITE = 'bookworm';
/** Resolved with their dependencies against a fresh host (bookworm's docker.io is 20.10.24). */
const RESOLVED_PACKAGES = ['docker.io'];
/** Taken alone from trixie (26.1.5): their dependencies are met by bookworm's packages. */
const TRIXIE_PACKAGES = ['docker.io/trixie', 'docker-cli/trixie'];
const STAMP = '.eectl-mirror.json';

export const mirrorUrl = (gateway: string): string => `http://${gateway}:${MIRROR_PORT}/debian`;

export interface MirrorContext {
  docker: DockerCli;
  cacheDir: string;
  mirrors: DebianMirrors;
  rootfs: HostRootfs;
  logger: Logger;
  progress: (message: string) => void;
}

/** The directory served as the mirror's document root (the repository is under `debian/`). */
export const mirrorRoot = (cacheDir: string): string => join(cacheDir, 'mirror');

/** The private apt workspace shared by the mirror and the registry image. */
export function aptWorkspace(cacheDir: string, rootfs: HostRootfs, logger: Logger): AptWorkspace {
  return new AptWorkspace(join(cacheDir, 'apt'), rootfs.statusFile, logger);
}

/**
 * The repository, built when missing or made for another package set, and the tools' .debs (one apt
 * session fetches both). Returns the repository's document root.
 */
export async function ensureMirrorRepository(ctx: MirrorContext): Promise<string> {
  const root = mirrorRoot(ctx.cacheDir);
  const repo = join(root, 'debian');
  const wanted = JSON.stringify({
    RESOLVED_PACKAGES,
    TRIXIE_PACKAGES,
    TOOL_PACKAGES,
    rootfs: ctx.rootfs.key,
  });
  const stampFile = join(root, STAMP);
  const index = join(repo, 'dists', MIRROR_SUITE, 'main', 'binary-amd64', 'Packages.gz');
  const cached =
    existsSync(stampFile) &&
    existsSync(index) &&
    (await readFile(stampFile, 'utf8')) === wanted &&
    (await toolDebsCached(ctx.cacheDir));
  if (cached) {
    await signMirror(ctx, repo);
    return root;
  }

  const apt = aptWorkspace(ctx.cacheDir, ctx.rootfs, ctx.logger);
  ctx.progress(`apt-get update (bookworm, trixie from ${ctx.mirrors.debian})`);
  await apt.update(ctx.mirrors);
  ctx.progress(`downloading ${RESOLVED_PACKAGES.join(', ')} and dependencies (bookworm)`);
  await apt.downloadWithDependencies(RESOLVED_PACKAGES, (l) => progressLine(ctx, l));
  ctx.progress(`downloading ${TRIXIE_PACKAGES.join(', ')}`);
  await apt.downloadOnly(TRIXIE_PACKAGES, apt.archives, (l) => progressLine(ctx, l));
  ctx.progress(`downloading ${TOOL_PACKAGES.join(', ')} (mirror server, registry image)`);
  await apt.downloadOnly(TOOL_PACKAGES, toolsDir(ctx.cacheDir), (l) => progressLine(ctx, l));

  // The pool only grows: versions from earlier builds stay, so hosts can still downgrade to them.
  const pool = join(repo, 'pool');
  await mkdir(pool, { recursive: true });
  for (const deb of (await readdir(apt.archives)).filter((f) => f.endsWith('.deb'))) {
    if (!existsSync(join(pool, deb))) await copyFile(join(apt.archives, deb), join(pool, deb));
  }
  ctx.progress('indexing the repository (dpkg-scanpackages -m)');
  await writeIndex(repo, ctx.logger);
  await writeFile(stampFile, wanted);
  await signMirror(ctx, repo);
  return root;
}

/** Signs the repository with the sandbox's mirror key (made once): the hosts check it (`signed-by`). */
async function signMirror(ctx: MirrorContext, repo: string): Promise<void> {
  // The hosts' own apt source names the repository by this second name (see hostAptSources).
  const alias = join(mirrorRoot(ctx.cacheDir), 'debian-host');
  if (!existsSync(alias)) await symlink('debian', alias);
  await ensureMirrorKey(ctx.cacheDir, ctx.logger);
  await signRelease(ctx.cacheDir, join(repo, 'dists', MIRROR_SUITE), ctx.logger);
}

async function writeIndex(repo: string, logger: Logger): Promise<void> {
  const { stdout } = await runLocal('dpkg-scanpackages', ['--multiversion', 'pool', '/dev/null'], {
    cwd: repo,
    logger,
    missing: {
      message: 'dpkg-scanpackages is not installed: the sandbox mirror is indexed with it',
      suggestions: ['apt-get install dpkg-dev'],
    },
  });
  const packages = `${stdout.trim()}\n`;
  const binaryDir = join(repo, 'dists', MIRROR_SUITE, 'main', 'binary-amd64');
  await mkdir(binaryDir, { recursive: true });
  const files: Record<string, Buffer> = {
    'main/binary-amd64/Packages': Buffer.from(packages),
    'main/binary-amd64/Packages.gz': gzipSync(packages, { level: 9 }),
  };
  // Written beside and renamed, so a host running apt-get update meanwhile never reads half an index.
  for (const [path, content] of Object.entries(files)) {
    const target = join(repo, 'dists', MIRROR_SUITE, path);
    await writeFile(`${target}.tmp`, content);
    await rename(`${target}.tmp`, target);
  }
  const release = join(repo, 'dists', MIRROR_SUITE, 'Release');
  await writeFile(`${release}.tmp`, releaseFile(files, new Date()));
  await rename(`${release}.tmp`, release);
}

/** The Release file for the index files; signMirror signs it. */
export function releaseFile(files: Record<string, Buffer>, date: Date): string {
  const sums = Object.entries(files).map(
    ([path, content]) => ` ${createHash('sha256').update(content).digest('hex')} ${content.length} ${path}`,
  );
  return [
    'Origin: eectl-sandbox',
    'Label: eectl-sandbox',
    `Suite: ${MIRROR_SUITE}`,
    `Codename: ${MIRROR_SUITE}`,
    `Date: ${date.toUTCString()}`,
    'Architectures: amd64',
    'Components: main',
    'Description: docker.io 20.10 (bookworm) and 26.1 (trixie) with their dependencies, for eectl sandboxes',
    'SHA256:',
    ...sums,
    '',
  ].join('\n');
}

/** Versions of a package in a Packages index, e.g. docker.io → ['20.10.24+dfsg1-1+deb12u1+b6', …]. */
export function versionsInIndex(packagesText: string, name: string): string[] {
  return packagesText
    .split(/\n\s*\n/)
    .filter((stanza) => new RegExp(`^Package: ${name.replace(/[.+]/g, '\\$&')}$`, 'm').test(stanza))
    .map((stanza) => /^Version: (.+)$/m.exec(stanza)?.[1] ?? '')
    .filter(Boolean);
}

/** Engine lines the mirror must offer: one to install, one to upgrade to. */
export const MIRROR_DOCKER_LINES = ['20.10.', '26.1.'];

/**
 * The docker.io versions the mirror serves, checked to hold both engine lines (Debian may publish a newer
 * point release of either; a new major version in a suite would need this sandbox to change).
 */
export async function mirrorDockerVersions(cacheDir: string): Promise<string[]> {
  const index = join(
    mirrorRoot(cacheDir),
    'debian',
    'dists',
    MIRROR_SUITE,
    'main',
    'binary-amd64',
    'Packages',
  );
  const versions = existsSync(index) ? versionsInIndex(await readFile(index, 'utf8'), 'docker.io') : [];
  const missing = MIRROR_DOCKER_LINES.filter((line) => !versions.some((v) => v.startsWith(line)));
  if (missing.length > 0) {
    throw new EectlError(
      `the sandbox mirror has no docker.io ${missing.join(' or ')}x (it has ${versions.join(', ') || 'none'})`,
      {
        code: 'ESANDBOXMIRROR',
        kind: 'external',
        suggestions: [`Remove ${mirrorRoot(cacheDir)} and run eectl sandbox up again to rebuild it.`],
      },
    );
  }
  return versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** Starts the sandbox's mirror server on the gateway and waits until it serves the index. */
export async function startMirrorServer(
  ctx: Pick<MirrorContext, 'docker' | 'cacheDir' | 'logger'>,
  sandbox: string,
  gateway: string,
): Promise<string> {
  const image = await ensureToolImage(ctx);
  const root = mirrorRoot(ctx.cacheDir);
  await ctx.docker.runContainer(
    mirrorRunArgs({
      container: mirrorContainerName(sandbox),
      image,
      root,
      listen: `${gateway}:${MIRROR_PORT}`,
      labels: { [LABEL.sandbox]: sandbox, [LABEL.kind]: 'mirror' },
    }),
  );
  const url = mirrorUrl(gateway);
  await waitForUrl(`${url}/dists/${MIRROR_SUITE}/Release`, 20_000);
  return url;
}

async function waitForUrl(url: string, timeoutMs: number): Promise<void> {
  const outcome = await pollUntil(
    async () => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? done(true) : pending(`HTTP ${response.status}`);
      } catch (error) {
        return pending(error instanceof Error ? error.message : String(error));
      }
    },
    { timeoutMs, intervalMs: 250 },
  );
  if ('value' in outcome) return;
  const last = outcome.waiting;
  throw new EectlError(`the sandbox mirror does not answer at ${url} (${last})`, {
    code: 'ESANDBOXMIRROR',
    kind: 'external',
    suggestions: [
      `Is something else listening on port ${MIRROR_PORT} of every address? (ss -ltnp)`,
      'Look at the mirror container: docker logs eectl-<name>-mirror',
    ],
  });
}

function progressLine(ctx: MirrorContext, line: string): void {
  // apt's "Get:12 http://… docker.io amd64 26.1.5… [23.0 MB]" lines are the useful progress.
  if (/^(Get:|Fetched )/.test(line)) ctx.progress(line);
}
