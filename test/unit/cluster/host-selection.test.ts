import { describe, expect, it } from 'vitest';
import {
  excludedManagersRefusal,
  parseHostList,
  selectHosts,
} from '../../../src/lib/cluster/host-selection.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError, type EectlError } from '../../../src/lib/errors.js';
import { rollingOrder } from '../../../src/lib/phases/rolling/plan.js';

const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 'prod' },
  spec: {
    hosts: [
      { address: 'm1.example.com', role: 'manager' },
      { address: '10.0.0.12', role: 'manager' },
      { address: '10.0.0.13', role: 'manager' },
      { address: 'w1.example.com', role: 'worker', privateAddress: '192.168.1.21' },
      { address: '10.0.0.22', role: 'worker' },
      { address: '10.0.0.23', role: 'worker' },
    ],
  },
});

const addresses = (specs: readonly { address: string }[]) => specs.map((s) => s.address);
const thrown = (f: () => unknown): EectlError => {
  try {
    f();
  } catch (e) {
    return toEectlError(e);
  }
  throw new Error('expected a refusal');
};

describe('--hosts and --exclude: parsing', () => {
  it('splits on commas and trims; an empty item is a usage error', () => {
    expect(parseHostList('hosts', 'a, b ,c')).toEqual(['a', 'b', 'c']);
    const e = thrown(() => parseHostList('exclude', 'a,,b'));
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.message).toContain('--exclude');
  });
});

describe('--hosts and --exclude: which hosts a run works on', () => {
  it('without flags: every host, none left out', () => {
    const s = selectHosts(config, {});
    expect(s.selected).toHaveLength(6);
    expect(s.excluded).toEqual([]);
    expect(s.notSelected).toEqual([]);
  });

  it('--hosts names hosts by address or privateAddress (any case), kept in file order', () => {
    const s = selectHosts(config, { hosts: ['10.0.0.22', '192.168.1.21', 'M1.example.com'] });
    expect(addresses(s.selected)).toEqual(['m1.example.com', 'w1.example.com', '10.0.0.22']);
    expect(addresses(s.notSelected)).toEqual(['10.0.0.12', '10.0.0.13', '10.0.0.23']);
    expect(s.excluded).toEqual([]);
  });

  it('--exclude leaves hosts out; with --hosts: the named hosts minus the excluded', () => {
    expect(addresses(selectHosts(config, { exclude: ['10.0.0.23'] }).selected)).not.toContain('10.0.0.23');
    const s = selectHosts(config, { hosts: ['10.0.0.22', '10.0.0.23'], exclude: ['10.0.0.23'] });
    expect(addresses(s.selected)).toEqual(['10.0.0.22']);
    expect(addresses(s.excluded)).toEqual(['10.0.0.23']);
    // Excluded is its own kind: not also "not selected".
    expect(addresses(s.notSelected)).not.toContain('10.0.0.23');
  });

  it('an unknown name is a usage error naming the valid hosts', () => {
    const e = thrown(() => selectHosts(config, { hosts: ['10.0.0.22', 'w9'] }));
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.code).toBe('EUNKNOWN_HOST');
    expect(e.message).toContain('w9');
    expect(e.message).toContain('w1.example.com (192.168.1.21)');
    expect(e.message).toContain('10.0.0.23');
    expect(thrown(() => selectHosts(config, { exclude: ['nope'] })).message).toContain('--exclude: nope');
  });

  it('refuses a selection with no host left', () => {
    const e = thrown(() => selectHosts(config, { hosts: ['10.0.0.22'], exclude: ['10.0.0.22'] }));
    expect(e.code).toBe('ENO_HOSTS');
    expect(e.exitCode).toBe(ExitCode.usage);
  });

  it('refuses to exclude the first manager of the file, where every run takes the lock', () => {
    const e = thrown(() => selectHosts(config, { exclude: ['m1.example.com'] }));
    expect(e.code).toBe('EEXCLUDE_LOCK_HOST');
    expect(e.exitCode).toBe(ExitCode.preflight);
    expect(e.suggestions.join('\n')).toContain('first in spec.hosts');
    // Another manager may be excluded (the quorum is judged later, from the swarm).
    expect(addresses(selectHosts(config, { exclude: ['10.0.0.13'] }).excluded)).toEqual(['10.0.0.13']);
  });

  it('--max-unavailable batches only the chosen workers; managers stay one at a time', () => {
    const chosen = selectHosts(config, { exclude: ['10.0.0.23'] }).selected;
    const order = rollingOrder(
      chosen.map((h) => ({ item: h.address, role: h.role, leader: h.address === 'm1.example.com' })),
      2,
    );
    expect(order.managers).toEqual([['10.0.0.12'], ['10.0.0.13'], ['m1.example.com']]);
    expect(order.workers).toEqual([['w1.example.com', '10.0.0.22']]);
    expect(order.batchSize).toBe(2);
  });
});

describe('--exclude of managers: the quorum of the swarm must stay with the managers the run reaches', () => {
  it('allows excluding one manager of three while the other two answer', () => {
    expect(excludedManagersRefusal(['10.0.0.13'], { swarmManagers: 3, remainingReachable: 2 })).toBe(
      undefined,
    );
  });

  it('refuses when the rest would not hold the quorum: one of three left, or two of four (exit 3)', () => {
    const e = excludedManagersRefusal(['10.0.0.12', '10.0.0.13'], {
      swarmManagers: 3,
      remainingReachable: 1,
    });
    expect(e?.code).toBe('EEXCLUDE_QUORUM');
    expect(e?.exitCode).toBe(ExitCode.preflight);
    expect(e?.message).toContain('needs 2');
    expect(e?.message).toContain('nothing was changed');
    expect(excludedManagersRefusal(['x'], { swarmManagers: 4, remainingReachable: 2 })?.code).toBe(
      'EEXCLUDE_QUORUM',
    );
    // The same arithmetic counts only managers that answer: 3 of 5 reachable is enough, 2 is not.
    expect(excludedManagersRefusal(['x'], { swarmManagers: 5, remainingReachable: 3 })).toBe(undefined);
    expect(excludedManagersRefusal(['x'], { swarmManagers: 5, remainingReachable: 2 })).toBeDefined();
  });

  it('refuses when no manager the run reaches is in a swarm (the excluded one may hold it)', () => {
    expect(excludedManagersRefusal(['10.0.0.12'], undefined)?.code).toBe('EEXCLUDE_QUORUM');
    expect(excludedManagersRefusal(['10.0.0.12'], { swarmManagers: 0, remainingReachable: 0 })).toBeDefined();
  });

  it('has nothing to say when no manager is excluded', () => {
    expect(excludedManagersRefusal([], undefined)).toBe(undefined);
  });
});
