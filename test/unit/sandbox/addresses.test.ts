import { describe, expect, it } from 'vitest';
import {
  assertCounts,
  cidrsOverlap,
  pickSubnetIndex,
  planHosts,
  subnetFor,
} from '../../../src/lib/sandbox/addresses.js';

describe('sandbox addresses', () => {
  it('takes the lowest 10.77.N.0/24 that no engine network overlaps', () => {
    expect(pickSubnetIndex(['172.17.0.0/16'])).toBe(0);
    expect(pickSubnetIndex(['172.17.0.0/16', '10.77.0.0/24', '10.77.1.0/24'])).toBe(2);
    // A wider network elsewhere in 10.77 blocks every /24 inside it.
    expect(pickSubnetIndex(['10.77.0.0/23', '10.77.2.128/25'])).toBe(3);
    expect(pickSubnetIndex(['fd00::/64'])).toBe(0);
    expect(() => pickSubnetIndex(['10.0.0.0/8'])).toThrow(/no free \/24/);
  });

  it('compares CIDRs by range', () => {
    expect(cidrsOverlap('10.77.0.0/16', '10.77.5.0/24')).toBe(true);
    expect(cidrsOverlap('10.77.4.0/24', '10.77.5.0/24')).toBe(false);
    expect(cidrsOverlap('10.77.5.7/24', '10.77.5.0/24')).toBe(true);
    expect(cidrsOverlap('bogus', '10.77.5.0/24')).toBe(false);
  });

  it('puts the gateway at .1', () => {
    expect(subnetFor(7)).toEqual({ subnet: '10.77.7.0/24', gateway: '10.77.7.1', index: 7 });
  });

  it('plans managers from .11 as root, workers from .21 and registries from .31 as eectl', () => {
    const hosts = planHosts('dev', { managers: 3, workers: 2, registries: 1 }, 4);
    expect(hosts.map((h) => [h.hostname, h.address, h.role, h.user, h.container])).toEqual([
      ['m1', '10.77.4.11', 'manager', 'root', 'eectl-dev-m1'],
      ['m2', '10.77.4.12', 'manager', 'root', 'eectl-dev-m2'],
      ['m3', '10.77.4.13', 'manager', 'root', 'eectl-dev-m3'],
      ['w1', '10.77.4.21', 'worker', 'eectl', 'eectl-dev-w1'],
      ['w2', '10.77.4.22', 'worker', 'eectl', 'eectl-dev-w2'],
      ['r1', '10.77.4.31', 'registry', 'eectl', 'eectl-dev-r1'],
    ]);
  });

  it('with an address base of 100, plans the same hosts from .111, .121 and .131 (another site’s last octets)', () => {
    const hosts = planHosts('dr', { managers: 3, workers: 2, registries: 1 }, 5, 100);
    expect(hosts.map((h) => [h.hostname, h.address])).toEqual([
      ['m1', '10.77.5.111'],
      ['m2', '10.77.5.112'],
      ['m3', '10.77.5.113'],
      ['w1', '10.77.5.121'],
      ['w2', '10.77.5.122'],
      ['r1', '10.77.5.131'],
    ]);
  });

  it('refuses sizes that do not fit the address ranges', () => {
    expect(() => assertCounts({ managers: 0, workers: 0, registries: 0 })).toThrow(/--managers/);
    expect(() => assertCounts({ managers: 1, workers: 10, registries: 0 })).toThrow(/--workers/);
    expect(() => assertCounts({ managers: 9, workers: 9, registries: 9 })).not.toThrow();
  });
});
