import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseContextList } from '../../../src/lib/sandbox/docker.js';
import { sandboxContexts, sandboxDown, type SandboxDocker } from '../../../src/lib/sandbox/down.js';

// sandbox down over a scripted outer engine, in a temporary EECTL_HOME: besides the engine's objects it
// removes the docker contexts of the sandbox's cluster and ~/.eectl/<name>, and lists what that held.

const home = process.env.EECTL_HOME;
let eectlHome = '';
beforeEach(() => {
  eectlHome = mkdtempSync(join(tmpdir(), 'eectl-home-'));
  process.env.EECTL_HOME = eectlHome;
});
afterAll(() => {
  if (home === undefined) delete process.env.EECTL_HOME;
  else process.env.EECTL_HOME = home;
});

/** The contexts a machine has: this sandbox's, another sandbox's whose name starts the same, others. */
const CONTEXTS = [
  { name: 'default', description: 'Current DOCKER_HOST based configuration' },
  { name: 'eectl-dev-admin', description: 'eectl dev (admin)' },
  { name: 'eectl-dev-alice', description: 'eectl dev (alice)' },
  { name: 'eectl-dev-2-admin', description: 'eectl dev-2 (admin)' },
  { name: 'eectl-dev-mine', description: 'my own context' },
  { name: 'e2e-access-dev', description: 'eectl dev (dev)' },
];

function scriptedDocker() {
  const removed: string[][] = [];
  const docker: SandboxDocker = {
    serverVersion: async () => '26.1.5',
    containersLabelled: async () => [],
    removeContainers: async () => undefined,
    volumesLabelled: async () => [],
    removeVolumes: async () => undefined,
    networksLabelled: async () => [],
    removeNetworks: async () => undefined,
    contexts: async () => CONTEXTS,
    removeContexts: async (names) => {
      removed.push(names);
    },
  };
  return { docker, removed };
}

/** ~/.eectl/<name> as using a sandbox leaves it: the CA, a bundle, backups, logs, known_hosts. */
function clusterState(name: string): string {
  const dir = join(eectlHome, name);
  for (const sub of ['pki', 'bundles/admin', 'backups', 'logs'])
    mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'pki', 'ca-key.pem'), 'key');
  writeFileSync(join(dir, 'bundles', 'admin', 'cert.pem'), 'cert');
  writeFileSync(join(dir, 'backups', 'dev-backup-1.tar.age'), 'a');
  writeFileSync(join(dir, 'backups', 'dev-backup-2.tar.age'), 'b');
  writeFileSync(join(dir, 'logs', 'install.log'), 'log');
  writeFileSync(join(dir, 'known_hosts'), '');
  return dir;
}

describe('sandbox down', () => {
  it("removes the cluster's docker contexts and ~/.eectl/<name>, saying what that held; nothing of another sandbox", async () => {
    const dir = clusterState('dev');
    const other = clusterState('dev-2');
    const { docker, removed } = scriptedDocker();

    const r = await sandboxDown('dev', { docker });

    expect(removed).toEqual([['eectl-dev-admin', 'eectl-dev-alice']]);
    expect(r.contexts).toEqual(['eectl-dev-admin', 'eectl-dev-alice']);
    expect(r.clusterState).toEqual({
      dir,
      kept: false,
      entries: [
        'backups/ (2 files)',
        'bundles/ (client bundles: admin)',
        'known_hosts',
        'logs/ (1 run log)',
        'pki/ (the cluster CA and its key)',
      ],
    });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(other, 'pki', 'ca-key.pem'))).toBe(true);
  });

  it('--keep-state keeps ~/.eectl/<name> (the contexts still go)', async () => {
    const dir = clusterState('dev');
    const { docker, removed } = scriptedDocker();

    const r = await sandboxDown('dev', { docker, keepState: true });

    expect(r.clusterState?.kept).toBe(true);
    expect(r.clusterState?.entries).toContain('backups/ (2 files)');
    expect(existsSync(join(dir, 'backups', 'dev-backup-1.tar.age'))).toBe(true);
    expect(removed).toEqual([['eectl-dev-admin', 'eectl-dev-alice']]);
  });

  it('a sandbox with no state and no contexts says none', async () => {
    const { docker, removed } = scriptedDocker();
    const r = await sandboxDown('other', { docker });
    expect(r.contexts).toEqual([]);
    expect(r.clusterState).toBeUndefined();
    expect(removed).toEqual([]);
  });
});

describe('the contexts of a sandbox', () => {
  it('are named eectl-<name>-<user> and described "eectl <name> (<user>)", as client-config makes them', () => {
    expect(sandboxContexts('dev', CONTEXTS)).toEqual(['eectl-dev-admin', 'eectl-dev-alice']);
    expect(sandboxContexts('dev-2', CONTEXTS)).toEqual(['eectl-dev-2-admin']);
  });

  it("parses docker context ls --format '{{json .}}' as docker 28 prints it", () => {
    const out =
      '{"Current":true,"Description":"Current DOCKER_HOST based configuration","DockerEndpoint":"unix:///var/run/docker.sock","Error":"","Name":"default"}\n' +
      '{"Current":false,"Description":"eectl dev (admin)","DockerEndpoint":"tcp://10.77.1.11:2376","Error":"","Name":"eectl-dev-admin"}\n';
    expect(parseContextList(out)).toEqual([
      { name: 'default', description: 'Current DOCKER_HOST based configuration' },
      { name: 'eectl-dev-admin', description: 'eectl dev (admin)' },
    ]);
  });
});
