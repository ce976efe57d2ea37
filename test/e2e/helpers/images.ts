import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { HostRef, SandboxUnderTest } from './sandbox.js';

/**
 * Puts the sandbox's busybox image (built by `sandbox up` on the outer engine) into the engines of the
 * given hosts, so tests can run services without any registry. Returns the image reference.
 */
export async function loadBusybox(sandbox: SandboxUnderTest, hosts: HostRef[]): Promise<string> {
  const { stdout } = await execa('docker', [
    'images',
    'eectl-sandbox/busybox',
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ]);
  const image = stdout.split('\n')[0]?.trim();
  if (!image) throw new Error('no eectl-sandbox/busybox image on the outer engine (sandbox up builds it)');
  const dir = await mkdtemp(join(tmpdir(), 'eectl-image-'));
  try {
    const tar = join(dir, 'busybox.tar');
    await execa('docker', ['save', '-o', tar, image]);
    await Promise.all(
      hosts.map(async (h) => {
        await sandbox.copyTo(h, tar, '/tmp/busybox.tar');
        await sandbox.exec(h, 'docker load -i /tmp/busybox.tar && rm /tmp/busybox.tar', { check: true });
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return image;
}
