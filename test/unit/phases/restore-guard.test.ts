import { describe, expect, it } from 'vitest';
import { RESTORE_PHASES } from '../../../src/lib/actions/restore.js';
import type { Manifest } from '../../../src/lib/backup/manifest.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { gatherFactsPhase } from '../../../src/lib/phases/gather-facts.js';
import { registryDeployPhase } from '../../../src/lib/phases/registry-deploy.js';
import { registryPlanPhase } from '../../../src/lib/phases/registry-plan.js';
import { restoreSwarmPhase } from '../../../src/lib/phases/restore-swarm.js';
import { restoreGuardPhase, type RestoreContext } from '../../../src/lib/phases/restore-guard.js';
import { isRegistryObject } from '../../../src/lib/phases/restore-verify.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection, testClusterContext } from '../../helpers/contexts.js';
import { manifestMeta } from '../../helpers/backup-fixtures.js';

const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 'prod' },
  spec: {
    hosts: [
      { address: '10.0.0.11', role: 'manager' },
      { address: '10.0.0.12', role: 'manager' },
      { address: '10.0.0.21', role: 'worker' },
    ],
  },
});
const SWARM = 'swarm-in-the-archive';
const manifest: Manifest = {
  ...manifestMeta(),
  entries: [],
  swarmId: SWARM,
  createdAt: '2026-12-01T00:00:00Z',
  source: { address: '10.0.0.12', nodeId: 'n2', hostname: 'm2' },
  nodes: [
    { hostname: 'm1', address: '10.0.0.11', role: 'manager', id: 'n1', engineVersion: '20.10.24' },
    { hostname: 'm2', address: '10.0.0.12', role: 'manager', id: 'n2', engineVersion: '20.10.24' },
  ],
};

/** The hosts as gathered facts describe them: in the archive's swarm, or fresh. */
function context(inSwarm: boolean): RestoreContext {
  const hosts = config.spec.hosts.map((spec, i) => {
    const host = new Host(spec, stubConnection(spec.address));
    host.facts = makeFacts({
      hostname: `h${i}`,
      swarm: inSwarm
        ? {
            state: 'active',
            nodeId: `n${i}`,
            clusterId: SWARM,
            isManager: spec.role === 'manager',
            remoteManagers: ['10.0.0.11:2377'],
            nodeAddr: spec.address,
          }
        : undefined,
    });
    return host;
  });
  return {
    ...testClusterContext(config, { concurrency: 4, fields: { hosts } }),
    replacing: [],
    differences: [],
    request: {
      archive: 'b.tar.age',
      // The guard reads no archive: a key it must never need.
      keys: { identities: [] },
      manifest,
      signature: {
        verified: true,
        signer: '0123456789abcdef0123',
        anchor: '/home/op/.eectl/prod/pki/ca.pem',
      },
      force: false,
      maps: [],
      confirmReplace: () => Promise.resolve(false),
    },
  };
}

describe('restore: what it would replace is checked before anything changes', () => {
  it('runs the guard right after the facts it reads, before every phase that can change a host', () => {
    const titles = RESTORE_PHASES.map((p) => p.title);
    const guard = RESTORE_PHASES.indexOf(restoreGuardPhase);
    // Without facts the guard sees no swarm anywhere and lets the restore run over a live cluster.
    expect(guard).toBe(RESTORE_PHASES.indexOf(gatherFactsPhase) + 1);
    expect(titles.slice(0, guard)).toEqual(['Connect to hosts', 'Lock the cluster', 'Gather host facts']);
  });

  it('plans the registry once the swarm is back on the target, so it reuses the restored users and certificate', () => {
    const at = (phase: (typeof RESTORE_PHASES)[number]) => RESTORE_PHASES.indexOf(phase);
    expect(RESTORE_PHASES.filter((p) => p === registryPlanPhase)).toHaveLength(1);
    expect(at(registryPlanPhase)).toBe(at(restoreSwarmPhase) + 1);
    expect(at(registryPlanPhase)).toBeLessThan(at(registryDeployPhase));
  });

  it('refuses over the running swarm of the archive with exit 3, naming the managers it runs on', async () => {
    const ctx = context(true);
    const error = await restoreGuardPhase.run(ctx, { report: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect(error).toMatchObject({ code: 'ERESTORE_LIVE', exitCode: ExitCode.preflight });
    expect((error as Error).message).toContain(
      `swarm ${SWARM} (the one in the archive) is running on 10.0.0.11, 10.0.0.12`,
    );
    expect(ctx.replacing).toEqual([]);
  });

  it('on fresh hosts picks the manager at the archive source address and goes on', async () => {
    const ctx = context(false);
    await restoreGuardPhase.run(ctx, { report: () => {} });
    expect(ctx.target?.name).toBe('10.0.0.12');
    expect(ctx.mapping?.moved).toBe(false);
  });

  it('with no manager at the source address, plans the move onto the first manager and shows the mapping', async () => {
    const ctx = context(false);
    ctx.request.manifest = { ...manifest, source: { address: '10.9.0.12', nodeId: 'n2', hostname: 'm2' } };
    const lines: string[] = [];
    await restoreGuardPhase.run(ctx, { report: (host, line) => lines.push(`${host}: ${line}`) });
    expect(ctx.target?.name).toBe('10.0.0.11');
    expect(ctx.mapping).toMatchObject({ moved: true, helper: { temporary: false } });
    expect(ctx.mapping?.helper?.host.name).toBe('10.0.0.12');
    expect(lines).toContain(
      '10.0.0.11: m2 10.9.0.12 → 10.0.0.11: gets the swarm state, then advertises its new address',
    );
    // The plan says who signed the archive (checked before the restore started).
    expect(lines).toContain(
      '10.0.0.11: the archive is signed by the CA of /home/op/.eectl/prod/pki/ca.pem (SHA-256 0123456789abcdef…)',
    );
  });
});

describe("restore's comparison at new addresses", () => {
  it("names eectl's registry service and its hashed secrets and configs, nothing else", () => {
    expect(isRegistryObject('eectl-registry')).toBe(true);
    expect(isRegistryObject('eectl-registry-cert-f63dbcd8a9a3')).toBe(true);
    expect(isRegistryObject('eectl-registryx')).toBe(false);
    expect(isRegistryObject('e2e-web')).toBe(false);
  });
});
