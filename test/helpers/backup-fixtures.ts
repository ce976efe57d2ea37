import { createHash } from 'node:crypto';
import { MANIFEST_FORMAT, type Manifest } from '../../src/lib/backup/manifest.js';

/** A manifest's fields besides its entries, as `eectl backup` writes them, for archive tests. */
export function manifestMeta(overrides: Partial<Omit<Manifest, 'entries'>> = {}): Omit<Manifest, 'entries'> {
  return {
    format: MANIFEST_FORMAT,
    eectlVersion: '0.1.0',
    cluster: 'test',
    createdAt: new Date().toISOString(),
    swarmId: 'swarm-id',
    source: { address: '10.0.0.12', nodeId: 'n2', hostname: 'm2' },
    autolock: false,
    registryData: false,
    nodes: [],
    services: [],
    secrets: [],
    configs: [],
    networks: [],
    ...overrides,
  };
}

/** SHA-256 of bytes, hex, as manifests list it. */
export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
