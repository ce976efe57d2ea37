import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterLock, STALE_AFTER_S, type LockOwner } from '../../../src/lib/cluster/lock.js';
import { machineId, machineIdPath } from '../../../src/lib/cluster/machine-id.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { hostSchema } from '../../../src/lib/config/schema.js';
import { connect } from '../../../src/lib/ssh/connect.js';
import { LocalConnection } from '../../../src/lib/ssh/local-connection.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { hostFor, isolatedOptions, Scratch, trust } from '../ssh/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'eectl-lock-'));
const savedHome = process.env.EECTL_HOME;
process.env.EECTL_HOME = join(work, 'home');
afterAll(() => {
  if (savedHome === undefined) delete process.env.EECTL_HOME;
  else process.env.EECTL_HOME = savedHome;
  rmSync(work, { recursive: true, force: true });
});

async function localHost(): Promise<Host> {
  const conn = new LocalConnection('local', nullLogger);
  await conn.connect();
  return new Host(hostSchema.parse({ address: 'local', role: 'manager', localhost: true }), conn);
}

/** A pid no process has (above the kernel's pid_max). */
const GONE_PID = 2 ** 22 + 7;

function plant(dir: string, owner: Partial<LockOwner>): LockOwner {
  const full: LockOwner = {
    id: 'x',
    user: 'u',
    machine: hostname(),
    machineId: machineId(),
    pid: GONE_PID,
    command: 'install',
    since: 'then',
    ...owner,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'owner'), JSON.stringify(full));
  return full;
}

describe('ClusterLock (real shell, real files)', () => {
  it('lets one run in, refuses the second with exit 5 naming the holder, and frees it on release', async () => {
    const dir = join(work, 'a', 'lock');
    const host = await localHost();
    const first = await ClusterLock.acquire(host, 'install', dir);
    const owner = JSON.parse(readFileSync(join(dir, 'owner'), 'utf8'));
    expect(owner).toMatchObject({
      pid: process.pid,
      machine: hostname(),
      machineId: machineId(),
      command: 'install',
    });

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

  it('keeps its machine ID under EECTL_HOME, made once, 0600', () => {
    const id = machineId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(machineId()).toBe(id);
    expect(readFileSync(machineIdPath(), 'utf8').trim()).toBe(id);
    expect(machineIdPath()).toBe(join(work, 'home', 'machine-id'));
  });

  it('breaks a lock whose process on this machine (by machine ID) is gone, and one not refreshed for too long', async () => {
    const host = await localHost();
    const deadDir = join(work, 'dead', 'lock');
    plant(deadDir, {});
    await (await ClusterLock.acquire(host, 'install', deadDir)).release();

    const oldDir = join(work, 'old', 'lock');
    plant(oldDir, { machine: 'another-machine', machineId: 'another-id', pid: 1 });
    // A fresh lock of another machine holds…
    await expect(ClusterLock.acquire(host, 'install', oldDir)).rejects.toMatchObject({ code: 'ELOCKED' });
    // …until it has not been refreshed for STALE_AFTER_S.
    const past = Date.now() / 1000 - STALE_AFTER_S - 5;
    utimesSync(join(oldDir, 'owner'), past, past);
    const taken = await ClusterLock.acquire(host, 'install', oldDir);
    expect(JSON.parse(readFileSync(join(oldDir, 'owner'), 'utf8')).pid).toBe(process.pid);
    await taken.release();
  });

  it('never breaks the live lock of another machine with the same hostname whose pid is not running here', async () => {
    const host = await localHost();
    const dir = join(work, 'twin', 'lock');
    // Same hostname (two laptops called alike, CI runners from one image), another machine ID.
    const twin = plant(dir, { machineId: '00000000-0000-4000-8000-000000000000' });
    await expect(ClusterLock.acquire(host, 'install', dir)).rejects.toMatchObject({ code: 'ELOCKED' });
    expect(JSON.parse(readFileSync(join(dir, 'owner'), 'utf8'))).toEqual(twin);
  });

  it('does not release or refresh a lock another run took over', async () => {
    const host = await localHost();
    const dir = join(work, 'takeover', 'lock');
    const mine = await ClusterLock.acquire(host, 'install', dir);
    const other = plant(dir, { id: 'other', pid: process.pid });
    await mine.release();
    expect(JSON.parse(readFileSync(join(dir, 'owner'), 'utf8'))).toEqual(other);
  });
});

describe('two runs at once, over real SSH', () => {
  const scratch = new Scratch();
  const clientKey = generateKeyPair();
  let server: TestSshServer;

  beforeAll(async () => {
    server = await TestSshServer.start({ authorizedKeys: [clientKey.public] });
  });
  afterAll(async () => {
    await server.close();
    scratch.remove();
  });

  async function run(): Promise<Host> {
    const spec = {
      ...hostFor(server, { user: 'root', keyPath: scratch.file('id', clientKey.private) }),
      role: 'manager' as const,
    };
    const conn = await connect(spec, isolatedOptions(scratch, { knownHostsPath: trust(scratch, server) }));
    return new Host(spec, conn);
  }

  it('exactly one takes the lock every time, also when both break the same dead lock at once', async () => {
    const [a, b, c] = await Promise.all([run(), run(), run()]);
    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      const dir = join(work, 'race', String(round), 'lock');
      // Even rounds: a dead run of this machine left the lock behind, and every contender breaks it.
      if (round % 2 === 0) plant(dir, { id: `dead-${round}` });
      const settled = await Promise.allSettled([a, b, c].map((h) => ClusterLock.acquire(h, 'install', dir)));
      const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as EectlError] : []));
      expect(won.length, `round ${round}`).toBe(1);
      expect(lost.map((e) => e.code)).toEqual(['ELOCKED', 'ELOCKED']);
      expect(JSON.parse(readFileSync(join(dir, 'owner'), 'utf8')).id).toBe(won[0]!.owner.id);
      await won[0]!.release();
      expect(existsSync(dir)).toBe(false);
    }
    await Promise.all([a, b, c].map((h) => h.conn.close()));
  });
});
