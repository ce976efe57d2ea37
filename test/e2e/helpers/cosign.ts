import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { AptWorkspace } from '../../../src/lib/sandbox/apt.js';
import { withCacheLock } from '../../../src/lib/sandbox/cache-lock.js';
import { sandboxCacheDir } from '../../../src/lib/sandbox/state.js';
import { RunLog } from '../../../src/lib/util/log.js';

/**
 * The real cosign for compatibility tests: Debian 13's `cosign` package (2.5, runs on Debian 12),
 * fetched once through the sandbox's private apt workspace (which `sandbox up` has set up with trixie's
 * lists) and unpacked into the sandbox cache. Returns the binary's path.
 */
export async function realCosign(): Promise<string> {
  const cache = sandboxCacheDir();
  const dir = join(cache, 'tools', 'cosign');
  const bin = join(dir, 'usr/bin/cosign');
  if (existsSync(bin)) return bin;
  return withCacheLock(cache, async () => {
    if (existsSync(bin)) return bin;
    const status = readdirSync(join(cache, 'rootfs')).find((f) => f.endsWith('.status'));
    if (!status) throw new Error(`no host root filesystem in ${cache}: sandbox up makes it`);
    const logger = new RunLog('warn').logger('cosign');
    const apt = new AptWorkspace(join(cache, 'apt'), join(cache, 'rootfs', status), logger);
    const debs = join(cache, 'tools', 'debs');
    await rm(debs, { recursive: true, force: true });
    await apt.downloadOnly(['cosign/trixie'], debs);
    const deb = readdirSync(debs).find((f) => f.startsWith('cosign_') && f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download cosign/trixie fetched nothing');
    await mkdir(dir, { recursive: true });
    await execa('dpkg-deb', ['-x', join(debs, deb), dir]);
    return bin;
  });
}
