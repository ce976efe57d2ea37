import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runLocal } from './exec.js';
import { aptWorkspace } from './mirror.js';
import { ensureHostRootfs, type HostRootfs } from './image.js';
import { machineDebianMirrors } from './apt.js';
import { withCacheLock } from './cache-lock.js';
import { DockerCli } from './docker.js';
import { sandboxCacheDir } from './state.js';
import type { Logger } from '../util/log.js';
import { debVersion, extractDeb, type ToolContext } from './tool-image.js';
import { upstreamVersion, type RegistryBundle } from './registry-image.js';

/**
 * An ingress proxy image built locally, without Docker Hub: Debian 12's `haproxy` package with the
 * libraries it links (`ldd` of the binary, taken from bookworm's packages, not this machine's) and
 * busybox for the POSIX shell the proxy's run script needs, laid out like the official `haproxy` image
 * (haproxy and sh on PATH). Saved as an image bundle, eectl's air-gapped path.
 */

/** Exactly what the image holds: haproxy, its shared libraries' packages, and busybox. */
export const INGRESS_IMAGE_PACKAGES = [
  'haproxy',
  'libc6',
  'libcrypt1',
  'libssl3',
  'liblua5.3-0',
  'libsystemd0',
  'libpcre2-8-0',
  'libopentracing-c-wrapper0',
  'libopentracing1',
  'libstdc++6',
  'libgcc-s1',
  'libcap2',
  'libgcrypt20',
  'libgpg-error0',
  'liblzma5',
  'libzstd1',
  'liblz4-1',
  'busybox-static',
].map((p) => `${p}/bookworm`);

/** The busybox applets the run script calls, linked into /bin. */
const APPLETS = [
  'sh',
  'sleep',
  'kill',
  'cp',
  'mv',
  'cat',
  'md5sum',
  'mkdir',
  'rm',
  'echo',
  'date',
  'test',
  'nc',
  'sed',
];
/** Raised when the image's contents change (applets, layout), so a cached bundle of the old ones is not used. */
const IMAGE_REVISION = 2;

/**
 * The ingress bundle of this machine's sandbox cache, built when missing under the cache lock (with the
 * host root file system it is built from): what the e2e tests and the ingress benchmark load.
 */
export async function cachedIngressBundle(logger: Logger): Promise<RegistryBundle> {
  const cacheDir = sandboxCacheDir();
  const docker = new DockerCli({ logger });
  return withCacheLock(cacheDir, async () => {
    const rootfs = await ensureHostRootfs({
      docker,
      cacheDir,
      mirrors: machineDebianMirrors({}),
      logger,
      progress: () => {},
    });
    return ensureIngressBundle({ docker, cacheDir, logger, rootfs });
  });
}

/** The ingress bundle in the cache, built when missing (the apt workspace of the sandbox mirror fetches it). */
export async function ensureIngressBundle(
  ctx: ToolContext & { rootfs: HostRootfs },
): Promise<RegistryBundle> {
  const dir = join(ctx.cacheDir, 'ingress');
  const debs = join(dir, 'debs');
  if (!existsSync(debs) || (await readdir(debs)).filter((f) => f.endsWith('.deb')).length === 0) {
    await mkdir(debs, { recursive: true });
    await aptWorkspace(ctx.cacheDir, ctx.rootfs, ctx.logger).downloadOnly(INGRESS_IMAGE_PACKAGES, debs);
  }
  const files = (await readdir(debs)).filter((f) => f.endsWith('.deb')).sort();
  const haproxy = files.find((f) => f.startsWith('haproxy_'));
  if (!haproxy) throw new Error(`haproxy's .deb is not in ${debs}: remove the folder and try again`);
  const version = upstreamVersion(await debVersion(join(debs, haproxy), ctx.logger));
  const image = `eectl-sandbox/haproxy:${version}-r${IMAGE_REVISION}`;
  const bundle = join(dir, `eectl-sandbox-haproxy-${version}-r${IMAGE_REVISION}.tar`);
  if (existsSync(bundle)) return { image, bundle };

  const work = await mkdtemp(join(dir, 'build-'));
  try {
    const root = join(work, 'root');
    for (const f of files) await extractDeb(join(debs, f), root, ctx.logger);
    // Only what a running proxy needs: the package's scripts, docs and man pages stay out.
    for (const unused of [
      'usr/share/doc',
      'usr/share/man',
      'usr/share/lintian',
      'etc/init.d',
      'lib/systemd',
    ]) {
      await rm(join(root, unused), { recursive: true, force: true });
    }
    await mkdir(join(root, 'bin'), { recursive: true });
    for (const applet of APPLETS) await symlink('busybox', join(root, 'bin', applet));
    await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
    await mkdir(join(root, 'run'), { recursive: true });
    await mkdir(join(root, 'usr/local/etc/haproxy'), { recursive: true });
    const tarball = join(work, 'root.tar');
    await runLocal('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarball, '.'], {
      logger: ctx.logger,
    });
    await ctx.docker.importImage(tarball, image, [
      'ENV PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
      'CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]',
    ]);
    await ctx.docker.saveImage(image, join(work, 'bundle.tar'));
    await rename(join(work, 'bundle.tar'), bundle);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { image, bundle };
}
