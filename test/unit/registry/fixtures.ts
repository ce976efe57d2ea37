import { registrySchema, type RegistrySpec } from '../../../src/lib/config/schema.js';
import type { Facts } from '../../../src/lib/host/facts-types.js';
import { Host } from '../../../src/lib/host/host.js';
import type { Connection } from '../../../src/lib/ssh/connection.js';

/** A registry section as the schema completes it. */
export function registrySpec(input: Record<string, unknown> = {}): RegistrySpec {
  return registrySchema.parse(input);
}

/** A registry host with just the facts the registry reads (hostname, addresses); it has no connection. */
export function registryHost(address: string, hostname: string): Host {
  const host = new Host(
    { address, role: 'registry', ssh: {}, localhost: false, labels: {} },
    {} as Connection,
  );
  host.facts = { hostname, addresses: [address], privateAddresses: [address], files: {} } as unknown as Facts;
  return host;
}
