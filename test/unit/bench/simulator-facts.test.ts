import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, MANAGED_FILES, parseFacts } from '../../../src/lib/host/facts.js';
import { factsScriptShape, unansweredFacts } from '../../../bench/simulator/facts.mjs';
import { runCommand } from '../../../bench/simulator/commands.mjs';
import { SimHost, SimSwarm, SimWorld } from '../../../bench/simulator/world.mjs';

/**
 * The benchmark's host simulator answers the facts script the CLI really sends (host/facts.ts): a key or
 * section added to the script without teaching the simulator fails here, in `npm test`, instead of
 * voiding `npm run bench -- --scale` later.
 */
function simulated() {
  const host = new SimHost({
    index: 1,
    sshAddress: '127.77.0.2',
    sshPort: 2222,
    privateAddress: '10.77.0.2',
  });
  const world = new SimWorld([host]);
  const facts = () => {
    const r = runCommand(host, world, 'sh -s', Buffer.from(FACTS_SCRIPT));
    expect(world.unknown).toEqual([]);
    expect(r.code).toBe(0);
    return { stdout: r.stdout, facts: parseFacts(r.stdout) };
  };
  return { host, world, facts };
}

describe('the simulator and the facts script', () => {
  it('knows every key and section FACTS_SCRIPT prints', () => {
    const shape = factsScriptShape(FACTS_SCRIPT);
    expect(unansweredFacts(shape)).toEqual([]);
    expect(shape.managedFiles).toEqual(MANAGED_FILES);
  });

  it('answers every key and section of it, in a form parseFacts reads (fresh host)', () => {
    const { facts } = simulated();
    const { stdout, facts: f } = facts();
    const shape = factsScriptShape(FACTS_SCRIPT);
    for (const k of shape.keys) expect(stdout).toMatch(new RegExp(`^${k}=`, 'm'));
    for (const s of shape.sections) expect(stdout).toMatch(new RegExp(`^@@${s}$`, 'm'));
    expect(f).toMatchObject({
      hostname: 'sim-001',
      os: { id: 'debian', versionId: '12', codename: 'bookworm' },
      arch: 'amd64',
      packageManager: 'apt',
      initSystem: 'systemd',
      isRoot: true,
      sudo: true,
      curl: false,
      privateAddresses: ['10.77.0.2'],
      packageHolds: [],
      engine: undefined,
    });
  });

  it('reports an engine, its holds, the swarm and managed files as the real script would', () => {
    const { host, facts } = simulated();
    host.packages.set('docker-ce', '5:27.3.1-1~debian.12~bookworm');
    host.packages.set('docker-ce-cli', '5:27.3.1-1~debian.12~bookworm');
    host.packages.set('curl', '7.88');
    host.holds.add('docker-ce');
    host.startEngine();
    new SimSwarm().add(host, 'manager');
    host.files.set('/etc/docker/daemon.json', { content: Buffer.from('{"a":1}\n'), mode: 0o644 });
    const { facts: f } = facts();
    expect(f.curl).toBe(true);
    expect(f.engine).toMatchObject({ packageName: 'docker-ce', serverVersion: '27.3.1', running: true });
    expect(f.packageHolds).toEqual([
      { name: 'docker-ce', held: true },
      { name: 'docker-ce-cli', held: false },
    ]);
    expect(f.swarm).toMatchObject({ state: 'active', isManager: true, nodeAddr: '10.77.0.2' });
    expect(f.files['/etc/docker/daemon.json']).toBe('{"a":1}\n');
    expect(f.listening).toContain('2377/tcp');
  });

  it('refuses a facts script with a key or section it does not know, naming it', () => {
    const { host, world } = simulated();
    const changed = FACTS_SCRIPT.replace('echo "@@end"', 'echo "selinux=1"\necho "@@mounts"\necho "@@end"');
    const r = runCommand(host, world, 'sh -s', Buffer.from(changed));
    expect(r.code).toBe(127);
    expect(world.unknown[0]?.why).toMatch(/engine key selinux; section @@mounts/);
  });
});
