import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runLocal } from './exec.js';
import type { RegistryBundle } from './registry-image.js';
import type { SandboxDescription, SandboxHost } from './state.js';
import { upstreamVersion } from './registry-image.js';
import { busyboxDeb, debVersion, extractDeb, type ToolContext } from './tool-image.js';

/**
 * The sandbox's first workload: Debian's statically linked busybox with its applets linked into /bin (a
 * shell, httpd, wget, nc …) and a page in /www, its working directory, so that
 * `docker service create … eectl-sandbox/busybox:<tag> httpd -f -p 8080` answers. Saved as an image
 * bundle that the sandbox's cluster file names, so `eectl install` loads it on every host (no registry).
 */

/** Raised when the image's content changes, so a cached older one is not taken for it. */
export const WORKLOAD_REVISION = 1;

/** The applets linked into /bin: a shell and what a first service and its debugging need. */
export const WORKLOAD_APPLETS = [
  'sh',
  'ash',
  'httpd',
  'wget',
  'nc',
  'ping',
  'nslookup',
  'ip',
  'hostname',
  'cat',
  'echo',
  'printf',
  'ls',
  'ps',
  'top',
  'env',
  'id',
  'uname',
  'date',
  'sleep',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'grep',
  'sed',
  'head',
  'tail',
  'wc',
  'vi',
  'kill',
  'true',
  'false',
  'test',
  '[',
];

/** What `httpd` serves at `/`. */
export const WORKLOAD_INDEX = 'Hello from the eectl sandbox: busybox httpd in a swarm service.\n';

/** The image's settings: busybox's applets on PATH, /www the working directory httpd serves by default. */
export const WORKLOAD_CHANGES = ['ENV PATH=/bin', 'WORKDIR /www', 'CMD ["sh"]'];

/** `eectl-sandbox/busybox:1.35.0-web1` for busybox-static 1:1.35.0-4+deb12u1+b1. */
export function workloadImage(busyboxVersion: string): string {
  return `eectl-sandbox/busybox:${upstreamVersion(busyboxVersion)}-web${WORKLOAD_REVISION}`;
}

/** The service the sandbox offers as a first workload (host-mode publish: no IPVS routing mesh here). */
export function firstWorkloadCommand(image: string): string[] {
  return [
    'docker',
    'service',
    'create',
    '--name',
    'hello',
    '--publish',
    'mode=host,target=8080,published=8080',
    image,
    'httpd',
    '-f',
    '-p',
    '8080',
  ];
}

/** What `sandbox up` prints: the first service, ready to run once installed, and how to reach it. */
export function firstWorkloadLines(
  s: Pick<SandboxDescription, 'workload' | 'clusterFile'> & {
    hosts: readonly Pick<SandboxHost, 'role' | 'address'>[];
  },
): string[] {
  const manager = s.hosts.find((h) => h.role === 'manager')?.address;
  if (!s.workload || manager === undefined) return [];
  const exec = `eectl exec -c ${s.clusterFile} --host ${manager} --`;
  return [
    '',
    `A first workload, once installed (install loads ${s.workload.image} on every host):`,
    `  ${exec} ${firstWorkloadCommand(s.workload.image).join(' ')}`,
    `  ${exec} docker service ps hello    # the node that runs it`,
    '  curl http://<that node’s address>:8080/',
    '  (published in host mode: the routing mesh needs the ip_vs kernel module, which sandbox hosts lack)',
  ];
}

/** The workload bundle in the cache, built when missing. Needs busybox-static in the tools' .debs. */
export async function ensureWorkloadBundle(ctx: ToolContext): Promise<RegistryBundle> {
  const deb = await busyboxDeb(ctx);
  const image = workloadImage(await debVersion(deb, ctx.logger));
  const dir = join(ctx.cacheDir, 'workload');
  const bundle = join(dir, `${image.replace(/[/:]/g, '-')}.tar`);
  if (existsSync(bundle)) return { image, bundle };
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, 'build-'));
  try {
    const unpacked = join(work, 'deb');
    await extractDeb(deb, unpacked, ctx.logger);
    const root = join(work, 'root');
    await mkdir(join(root, 'bin'), { recursive: true });
    await rename(join(unpacked, 'bin', 'busybox'), join(root, 'bin', 'busybox'));
    for (const applet of WORKLOAD_APPLETS) await symlink('busybox', join(root, 'bin', applet));
    await mkdir(join(root, 'www'), { recursive: true });
    await writeFile(join(root, 'www', 'index.html'), WORKLOAD_INDEX, { mode: 0o644 });
    await mkdir(join(root, 'tmp'), { recursive: true });
    await chmod(join(root, 'tmp'), 0o1777);
    const tarball = join(work, 'root.tar');
    await runLocal('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarball, '.'], {
      logger: ctx.logger,
    });
    await ctx.docker.importImage(tarball, image, WORKLOAD_CHANGES);
    await ctx.docker.saveImage(image, join(work, 'bundle.tar'));
    await rename(join(work, 'bundle.tar'), bundle);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { image, bundle };
}
