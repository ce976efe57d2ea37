import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import type { ClusterContext } from '../../../src/lib/phases/runner/cluster-context.js';
import { findManifestSigner } from '../../../src/lib/phases/backup-signer.js';
import { createCa, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { localPkiDir } from '../../../src/lib/pki/paths.js';
import { HOST_CA_CERT, HOST_CA_KEY } from '../../../src/lib/host-layout.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection, testClusterContext } from '../../helpers/contexts.js';

// Which key signs a backup's manifest: found before anything is stopped, refused (exit 3) without one.

let ca: CertifiedKey;
let other: CertifiedKey;

/** The source manager: its CA certificate in the facts, its key (or none) read as root on request. */
function source(certPem: string | undefined, keyOnHost: string | undefined) {
  const reads: string[] = [];
  const conn = stubConnection('10.0.0.12', {
    readFile: (path: string) => {
      reads.push(path);
      return Promise.resolve(path === HOST_CA_KEY && keyOnHost ? Buffer.from(keyOnHost) : undefined);
    },
  });
  const host = new Host({ address: '10.0.0.12', role: 'manager' } as Host['spec'], conn);
  host.facts = makeFacts({ files: certPem ? { [HOST_CA_CERT]: certPem } : {} });
  return { host, reads };
}

function context(controlPlane: Record<string, unknown> = {}): ClusterContext {
  const config = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { hosts: [{ address: '10.0.0.12', role: 'manager' }], controlPlane },
  });
  return testClusterContext(config);
}

describe("the key a backup's manifest is signed with", () => {
  let home: string;
  beforeAll(async () => {
    ca = await createCa('prod');
    other = await createCa('prod');
  });
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'eectl-signer-'));
    process.env.EECTL_HOME = home;
  });
  afterEach(() => {
    delete process.env.EECTL_HOME;
    rmSync(home, { recursive: true, force: true });
  });
  const saveLocal = (certified: CertifiedKey, withKey = true) => {
    mkdirSync(localPkiDir('prod'), { recursive: true });
    writeFileSync(join(localPkiDir('prod'), 'ca.pem'), certified.certPem);
    if (withKey) writeFileSync(join(localPkiDir('prod'), 'ca-key.pem'), certified.keyPem);
  };

  it("is this machine's copy of the cluster CA when it has the key: no read on the manager", async () => {
    saveLocal(ca);
    const { host, reads } = source(ca.certPem, ca.keyPem);
    const signer = await findManifestSigner(context(), host);
    expect(signer).toMatchObject({ certPem: ca.certPem, keyPem: ca.keyPem, where: localPkiDir('prod') });
    expect(reads).toEqual([]);
  });

  it("is controlPlane.ca's key for a supplied CA", async () => {
    const certPath = join(home, 'ca.pem');
    const keyPath = join(home, 'ca-key.pem');
    writeFileSync(certPath, ca.certPem);
    writeFileSync(keyPath, ca.keyPem);
    const { host } = source(ca.certPem, undefined);
    const signer = await findManifestSigner(context({ ca: { certPath, keyPath } }), host);
    expect(signer.where).toBe(`controlPlane.ca (${certPath})`);
  });

  it("is the source manager's key when this machine has none (an operator machine that never installed)", async () => {
    const { host, reads } = source(ca.certPem, ca.keyPem);
    const signer = await findManifestSigner(context(), host);
    expect(signer).toMatchObject({ keyPem: ca.keyPem, where: `10.0.0.12:${HOST_CA_KEY}` });
    expect(reads).toEqual([HOST_CA_KEY]);
  });

  it('refuses before anything is stopped (exit 3) when no key of the cluster CA is found', async () => {
    saveLocal(ca, false);
    const { host } = source(ca.certPem, other.keyPem);
    const error = await findManifestSigner(context(), host).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect(error).toMatchObject({ code: 'EBACKUP_SIGNING_KEY', exitCode: 3 });
    expect((error as Error).message).toMatch(/key of the cluster CA .* was not found/);
  });

  it("refuses two different CAs (this machine's and the manager's), as install does", async () => {
    saveLocal(other);
    const { host } = source(ca.certPem, ca.keyPem);
    await expect(findManifestSigner(context(), host)).rejects.toMatchObject({ code: 'ECA_MISMATCH' });
  });
});
