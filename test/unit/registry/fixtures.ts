import { registrySchema, type RegistrySpec } from '../../../src/lib/config/schema.js';
import { Host } from '../../../src/lib/host/host.js';
import { stubConnection } from '../../helpers/contexts.js';
import { makeFacts } from '../../helpers/facts.js';

/** A registry section as the schema completes it. */
export function registrySpec(input: Record<string, unknown> = {}): RegistrySpec {
  return registrySchema.parse(input);
}

/** A registry host with just the facts the registry reads (hostname, addresses); it has no connection. */
export function registryHost(address: string, hostname: string): Host {
  const host = new Host(
    { address, role: 'registry', ssh: {}, localhost: false, labels: {} },
    stubConnection(address),
  );
  host.facts = makeFacts({ hostname, addresses: [address], privateAddresses: [address], files: {} });
  return host;
}
