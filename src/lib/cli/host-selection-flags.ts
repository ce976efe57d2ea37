import { Flags } from '@oclif/core';
import { parseHostList, selectHosts, type HostSelection } from '../cluster/host-selection.js';
import type { ClusterConfig } from '../config/schema.js';

/** --exclude, for the commands that can leave hosts out (install, upgrade). */
export const excludeFlag = {
  exclude: Flags.string({
    description:
      'Leave these hosts out (comma-separated, by address or privateAddress as in spec.hosts): not contacted, not changed; excluding managers is refused unless the others keep the quorum',
    helpValue: 'HOST,…',
  }),
};

/** --hosts, for upgrade. */
export const hostsFlag = {
  hosts: Flags.string({
    description:
      'Upgrade only these hosts (comma-separated, by address or privateAddress as in spec.hosts); the others stay on their version',
    helpValue: 'HOST,…',
  }),
};

/** The hosts the flags select, checked against the file before any host is contacted (a usage error names the valid hosts). */
export function hostSelection(
  config: ClusterConfig,
  flags: { hosts?: string | undefined; exclude?: string | undefined },
): HostSelection {
  return selectHosts(config, {
    ...(flags.hosts !== undefined && { hosts: parseHostList('hosts', flags.hosts) }),
    ...(flags.exclude !== undefined && { exclude: parseHostList('exclude', flags.exclude) }),
  });
}
