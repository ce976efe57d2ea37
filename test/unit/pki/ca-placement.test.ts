import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../../src/lib/phases/runner/cluster-context.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { Host } from '../../../src/lib/host/host.js';
import type { PhaseOutput } from '../../../src/lib/phases/runner/phase.js';
import { writeApiFiles } from '../../../src/lib/phases/converge/api.js';
import { pkiPhase } from '../../../src/lib/phases/pki.js';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { localPkiDir } from '../../../src/lib/pki/paths.js';
import {
  API_DROP_IN,
  HOST_CA_CERT,
  HOST_CA_KEY,
  HOST_RESTART_PENDING,
  HOST_SERVER_CERT,
} from '../../../src/lib/host-layout.js';
import type { Connection, RemoteCommand } from '../../../src/lib/ssh/connection.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection, testClusterContext } from '../../helpers/contexts.js';

// Where each kind of cluster CA lives: the plan install makes, and what it uploads to a fresh manager.

/** A connection that records what is uploaded and run; `keyOnHost` answers `test -e` of the CA key. */
function recordingConnection(name: string, keyOnHost = false) {
  const uploads: string[] = [];
  const commands: string[][] = [];
  const conn = stubConnection(name, {
    upload: (path: string) => {
      uploads.push(path);
      return Promise.resolve();
    },
    exec: (command: RemoteCommand) => {
      const argv = [...command];
      commands.push(argv);
      const missing = argv[0] === 'test' && argv.includes(HOST_CA_KEY) && !keyOnHost;
      return Promise.resolve({ code: missing ? 1 : 0, stdout: '', stderr: '' });
    },
  });
  return { conn, uploads, commands };
}

const out: PhaseOutput = { report: () => undefined };

function context(controlPlane: Record<string, unknown>, host: Host): ClusterContext {
  const config = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'capl' },
    spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], controlPlane },
  });
  return testClusterContext(config, { concurrency: 1, fields: { hosts: [host] } });
}

describe('where the cluster CA key lives', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'eectl-ca-'));
    process.env.EECTL_HOME = home;
  });
  afterEach(() => {
    delete process.env.EECTL_HOME;
    rmSync(home, { recursive: true, force: true });
  });

  const manager = (conn: Connection, files: Record<string, string> = {}) => {
    const spec = clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'capl' },
      spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }] },
    }).spec.hosts[0]!;
    const h = new Host(spec, conn);
    h.facts = makeFacts({ hostname: 'm1', privateAddresses: ['10.0.0.11'], addresses: ['10.0.0.11'], files });
    return h;
  };

  const suppliedCa = async () => {
    const ca = await createCa('operators-own');
    const certPath = join(home, 'ca.pem');
    const keyPath = join(home, 'ca-key.pem');
    writeFileSync(certPath, ca.certPem);
    writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
    return { ca, paths: { certPath, keyPath } };
  };

  it('a generated CA: its key goes to every manager and to ~/.eectl, so any operator machine can sign', async () => {
    const { conn, uploads } = recordingConnection('10.0.0.11');
    const ctx = context({}, manager(conn));
    await pkiPhase.run(ctx, out);
    expect(ctx.controlPlane?.ca.supplied).toBe(false);
    await writeApiFiles(ctx, ctx.hosts[0]!, out);
    expect(uploads).toContain(HOST_CA_KEY);
    expect(uploads).toContain(HOST_CA_CERT);
    expect(existsSync(join(localPkiDir('capl'), 'ca-key.pem'))).toBe(true);
  });

  it('a supplied CA: only its certificate goes to the managers, nothing to ~/.eectl; certificates are signed here', async () => {
    const { ca, paths } = await suppliedCa();
    const { conn, uploads } = recordingConnection('10.0.0.11');
    const ctx = context({ ca: paths }, manager(conn));
    await pkiPhase.run(ctx, out);
    const plan = ctx.controlPlane!;
    expect(plan.ca).toMatchObject({ certPem: ca.certPem, supplied: true });
    // The server certificate was issued on this machine, with the supplied key.
    expect(plan.managers.get('10.0.0.11')?.serverCert?.certPem).toBeDefined();
    await writeApiFiles(ctx, ctx.hosts[0]!, out);
    expect(uploads).toContain(HOST_CA_CERT);
    expect(uploads).not.toContain(HOST_CA_KEY);
    expect(ctx.changes.entries.map((c) => c.description)).toContain(
      'write the cluster certificate (its key stays on this machine) to /etc/eectl/pki',
    );
    expect(existsSync(localPkiDir('capl'))).toBe(false);
  });

  it('a supplied CA whose key an older eectl copied: removed from the manager and from ~/.eectl', async () => {
    const { ca, paths } = await suppliedCa();
    const dir = localPkiDir('capl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'ca-key.pem'), ca.keyPem, { mode: 0o600 });
    const { conn, uploads, commands } = recordingConnection('10.0.0.11', true);
    const ctx = context({ ca: paths }, manager(conn, { [HOST_CA_CERT]: ca.certPem }));
    await pkiPhase.run(ctx, out);
    expect(ctx.controlPlane!.managers.get('10.0.0.11')).toMatchObject({ writeCa: false, removeCaKey: true });
    expect(existsSync(join(dir, 'ca-key.pem'))).toBe(false);
    await writeApiFiles(ctx, ctx.hosts[0]!, out);
    expect(uploads).not.toContain(HOST_CA_KEY);
    expect(commands).toContainEqual(['rm', '-f', HOST_CA_KEY]);
  });
  it('a manager whose CA file is a trust bundle (cluster CA rotation): the first CA signs and agrees with ~/.eectl, the bundle is kept', async () => {
    const [old, next] = await Promise.all([createCa('capl'), createCa('capl')]);
    const dir = localPkiDir('capl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.pem'), old.certPem);
    writeFileSync(join(dir, 'ca-key.pem'), old.keyPem, { mode: 0o600 });
    const { conn } = recordingConnection('10.0.0.11');
    const bundle = old.certPem + next.certPem;
    const ctx = context({}, manager(conn, { [HOST_CA_CERT]: bundle }));
    await pkiPhase.run(ctx, out);
    expect(ctx.controlPlane!.ca.certPem).toBe(old.certPem);
    expect(ctx.controlPlane!.ca.trustPem).toBe(bundle);
    expect(ctx.controlPlane!.managers.get('10.0.0.11')).toMatchObject({ writeCa: false });
  });

  it('a serving manager marked for a restart has the marker in its facts, so its rolling turn removes it', async () => {
    const { conn, uploads } = recordingConnection('10.0.0.11');
    const host = manager(conn);
    host.facts!.engine = {
      serverVersion: '20.10.24',
      packageVersion: '20.10.24',
      packageName: 'docker.io',
      running: true,
    };
    host.facts!.swarm = {
      state: 'active',
      nodeId: 'n1',
      clusterId: 'c1',
      isManager: true,
      remoteManagers: ['10.0.0.11:2377'],
      nodeAddr: '10.0.0.11',
    };
    const ctx = context({}, host);
    await pkiPhase.run(ctx, out);
    await writeApiFiles(ctx, host, out);
    expect(uploads).toContain(HOST_RESTART_PENDING);
    expect(host.facts!.files[HOST_RESTART_PENDING]).toBeDefined();
  });

  it('a second converge of the same run writes nothing and asks no restart (restore: engines, the swarm, then install’s converge)', async () => {
    const { conn, uploads } = recordingConnection('10.0.0.11');
    const host = manager(conn);
    const ctx = context({}, host);
    await pkiPhase.run(ctx, out);
    // First: a fresh host, no engine yet: the files are written for the package to start with.
    await writeApiFiles(ctx, host, out);
    expect(uploads).toEqual(expect.arrayContaining([HOST_CA_CERT, HOST_SERVER_CERT, API_DROP_IN]));
    // Then the engine runs and the host is in the swarm (restore started it there): converged again.
    host.facts!.engine = {
      serverVersion: '20.10.24',
      packageVersion: '20.10.24',
      packageName: 'docker.io',
      running: true,
    };
    host.facts!.swarm = {
      state: 'active',
      nodeId: 'n1',
      clusterId: 'c1',
      isManager: true,
      remoteManagers: ['10.0.0.11:2377'],
      nodeAddr: '10.0.0.11',
    };
    uploads.length = 0;
    const changes = ctx.changes.count;
    await writeApiFiles(ctx, host, out);
    expect(uploads).toEqual([]);
    expect(ctx.changes.count).toBe(changes);
    expect(ctx.restarts?.size ?? 0).toBe(0);
  });
});
