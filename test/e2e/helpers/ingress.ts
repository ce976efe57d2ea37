import { machineDebianMirrors } from '../../../src/lib/sandbox/apt.js';
import { withCacheLock } from '../../../src/lib/sandbox/cache-lock.js';
import { DockerCli } from '../../../src/lib/sandbox/docker.js';
import { ensureHostRootfs } from '../../../src/lib/sandbox/image.js';
import { ensureIngressBundle } from '../../../src/lib/sandbox/ingress-image.js';
import { sandboxCacheDir } from '../../../src/lib/sandbox/state.js';
import { RunLog } from '../../../src/lib/ui/log.js';

/**
 * The proxy image for `spec.ingress` (HAProxy from Debian's package, no Docker Hub), built once into the
 * sandbox cache and shared by the tests: the image reference and its `docker save` archive, for
 * `images.bundles`.
 */
export async function ingressImageBundle(): Promise<{ image: string; bundle: string }> {
  const runLog = new RunLog('warn');
  const logger = runLog.logger('ingress-image');
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
