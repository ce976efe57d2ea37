import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterLock, STALE_AFTER_S } from '../../../src/lib/cluster/lock.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { hostSchema } from '../../../src/lib/config/schema.js';
import { LocalConnection } from '../../../src/lib/ssh/local-connection.js';
import { nullLogger } from '../../../src/lib/ui/log.js';

const work = mkdtempSync(join(tmpdir(), 'eectl-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function localHost(): Promise<Host> {
  const conn = new LocalConnection('local', nullLogger);
  await conn.connect();
  return new Host(hostSchema.parse({ address: 'local', role: 'manager', localhost: true }), conn);
}

describe('ClusterLock (real shell, real files)', () => {
  it('lets one run in, refuses the second with exit 5 naming the holder, and frees it on release', async () => {
    const dir = join(work, 'a', 'lock');
    const host = await localHost();
    const first = await ClusterLock.acquire(host, 'install', dir);
    const owner = JSON.parse(readFileSync(join(dir, 'owner'), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, machine: hostname(), command: 'install' });

    const refused = await ClusterLock.acquire(host, 'node join', dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EectlError);
    expect((refused as EectlError).exitCode).toBe(ExitCode.locked);
    expect((refused as EectlError).message).toMatch(
      new RegExp(`holds the cluster lock .* \\(pid ${process.pid}, \`eectl install\`\\) since`),
    );

    await first.release();
    expect(existsSync(dir)).toBe(false);
    const second = await ClusterLock.acquire(host, 'node join', dir);
    await second.release();
  });

  it('breaks a lock whose process on this machine is gone, and one not refreshed for too long', async () => {
    const host = await localHost();
    const deadDir = join(work, 'dead', 'lock');
    await host.exec(['mkdir', '-p', deadDir]);
    const dead = {
      id: 'x',
      user: 'u',
      machine: hostname(),
      pid: 2 ** 22 + 7,
      command: 'install',
      since: 'then',
    };
    writeFileSync(join(deadDir, 'owner'), JSON.stringify(dead));
    await (await ClusterLock.acquire(host, 'install', deadDir)).release();

    const oldDir = join(work, 'old', 'lock');
    await host.exec(['mkdir', '-p', oldDir]);
    const elsewhere = { ...dead, machine: 'another-machine', pid: 1 };
    writeFileSync(join(oldDir, 'owner'), JSON.stringify(elsewhere));
    // A fresh lock of another machine holds…
    await expect(ClusterLock.acquire(host, 'install', oldDir)).rejects.toMatchObject({ code: 'ELOCKED' });
    // …until it has not been refreshed for STALE_AFTER_S.
    const past = Date.now() / 1000 - STALE_AFTER_S - 5;
    utimesSync(join(oldDir, 'owner'), past, past);
    const taken = await ClusterLock.acquire(host, 'install', oldDir);
    expect(JSON.parse(readFileSync(join(oldDir, 'owner'), 'utf8')).pid).toBe(process.pid);
    await taken.release();
  });
});
