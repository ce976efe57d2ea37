import { cachedIngressBundle } from '../../../src/lib/sandbox/ingress-image.js';
import { RunLog } from '../../../src/lib/util/log.js';

/**
 * The proxy image for `spec.ingress` (HAProxy from Debian's package, no Docker Hub), built once into the
 * sandbox cache and shared by the tests: the image reference and its `docker save` archive, for
 * `images.bundles`.
 */
export function ingressImageBundle(): Promise<{ image: string; bundle: string }> {
  return cachedIngressBundle(new RunLog('warn').logger('ingress-image'));
}
