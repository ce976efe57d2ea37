import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EectlError } from '../errors.js';
import { debVersion, extractDeb, findDeb, importFiles, type ToolContext } from './tool-image.js';

/**
 * A registry image built locally, without Docker Hub: Debian's `docker-registry` (CNCF Distribution,
 * linked against libc only) with libc, the loader and a config, saved as an image bundle (`docker save`),
 * which is how eectl brings images to air-gapped hosts.
 */

/** What the cluster file names: the bundle to upload and the image tag it holds. */
export interface RegistryBundle {
  image: string;
  bundle: string;
}

/** The official image's configuration: filesystem storage, plain HTTP on :5000 (TLS comes from eectl). */
export const REGISTRY_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

/** `2.8.2+ds1-1` → `2.8.2`: the image is tagged with the upstream version. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion.replace(/^\d+:/, '').replace(/[+~-].*$/, '');
}

/** The registry bundle in the cache, built when missing. Needs the tools' .debs (mirror.ts fetches them). */
export async function ensureRegistryBundle(ctx: ToolContext): Promise<RegistryBundle> {
  const registryDeb = await findDeb(ctx.cacheDir, 'docker-registry');
  const libcDeb = await findDeb(ctx.cacheDir, 'libc6');
  if (!registryDeb || !libcDeb) {
    throw new EectlError('docker-registry or libc6 is missing from the sandbox cache', {
      code: 'ESANDBOXCACHE',
      kind: 'bug',
      suggestions: [`Remove ${join(ctx.cacheDir, 'mirror')} and run eectl sandbox up again to rebuild it.`],
    });
  }
  const version = upstreamVersion(await debVersion(registryDeb, ctx.logger));
  const image = `eectl-sandbox/registry:${version}`;
  const dir = join(ctx.cacheDir, 'registry');
  const bundle = join(dir, `eectl-sandbox-registry-${version}.tar`);
  if (existsSync(bundle)) return { image, bundle };

  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, 'build-'));
  try {
    await extractDeb(registryDeb, work, ctx.logger);
    await extractDeb(libcDeb, work, ctx.logger);
    await writeFile(join(work, 'config.yml'), REGISTRY_CONFIG);
    const libc = (name: string): string => {
      const candidates = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'].map((d) => join(work, d, name));
      const found = candidates.find((c) => existsSync(c));
      if (!found)
        throw new EectlError(`${name} is not in ${libcDeb}`, { code: 'ESANDBOXCACHE', kind: 'bug' });
      return found;
    };
    await importFiles(
      ctx,
      image,
      {
        'bin/registry': join(work, 'usr/bin/docker-registry'),
        'lib/x86_64-linux-gnu/libc.so.6': libc('libc.so.6'),
        'lib64/ld-linux-x86-64.so.2': libc('ld-linux-x86-64.so.2'),
        'etc/docker/registry/config.yml': join(work, 'config.yml'),
      },
      [
        'ENTRYPOINT ["/bin/registry", "serve", "/etc/docker/registry/config.yml"]',
        'EXPOSE 5000',
        'VOLUME ["/var/lib/registry"]',
      ],
    );
    await ctx.docker.saveImage(image, join(work, 'bundle.tar'));
    await rename(join(work, 'bundle.tar'), bundle);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { image, bundle };
}
