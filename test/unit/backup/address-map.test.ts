import { describe, expect, it } from 'vitest';
import {
  describeMapping,
  mapManagers,
  parseManagerMaps,
  type MappableHost,
} from '../../../src/lib/backup/address-map.js';
import type { Manifest } from '../../../src/lib/backup/manifest.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import { manifestMeta } from '../../helpers/backup-fixtures.js';

const manifest: Manifest = {
  ...manifestMeta({ source: { address: '10.0.1.12', nodeId: 'n2', hostname: 'm2' } }),
  entries: [],
  nodes: [
    { hostname: 'm1', address: '10.0.1.11', role: 'manager', id: 'n1', engineVersion: '20.10.24' },
    { hostname: 'm2', address: '10.0.1.12', role: 'manager', id: 'n2', engineVersion: '20.10.24' },
    { hostname: 'm3', address: '10.0.1.13', role: 'manager', id: 'n3', engineVersion: '20.10.24' },
    { hostname: 'w1', address: '10.0.1.21', role: 'worker', id: 'n4', engineVersion: '20.10.24' },
  ],
};

const host = (name: string, advertiseAddress: string, isManager = true): MappableHost => ({
  name,
  advertiseAddress,
  isManager,
});
const newSite = [
  host('a1', '10.8.0.31'),
  host('a2', '10.8.0.32'),
  host('a3', '10.8.0.33'),
  host('b1', '10.8.0.41', false),
];

describe('restore --map: which manager of the file gets the swarm state', () => {
  it('reads OLD=NEW and refuses anything else before a host is reached', () => {
    expect(parseManagerMaps(['10.0.1.12=a2', '10.0.1.11=10.8.0.31'])).toEqual([
      { old: '10.0.1.12', new: 'a2' },
      { old: '10.0.1.11', new: '10.8.0.31' },
    ]);
    for (const bad of [
      '10.0.1.12',
      '=a2',
      'm2=a2',
      '10.0.1.12=',
      '10.0.1.12=a2;rm -rf /',
      '10.0.1.12=$(id)',
    ]) {
      expect(() => parseManagerMaps([bad]), bad).toThrow(expect.objectContaining({ code: 'ERESTORE_MAP' }));
    }
    expect(() => parseManagerMaps(['10.0.1.12=a1', '10.0.1.12=a2'])).toThrow(/mapped twice/);
  });

  it('keeps the state at the source address when a manager of the file has it', () => {
    const same = [host('m1', '10.0.1.11'), host('m2', '10.0.1.12')];
    const m = mapManagers(manifest, same, [], 'b.tar.age');
    expect([m.target.name, m.moved, m.helper]).toEqual(['m2', false, undefined]);
  });

  it('on new addresses takes the first manager, with another manager as the helper, and pairs the rest in order', () => {
    const m = mapManagers(manifest, newSite, [], 'b.tar.age');
    expect([m.target.name, m.moved, m.helper?.host.name, m.helper?.temporary]).toEqual([
      'a1',
      true,
      'a2',
      false,
    ]);
    expect(describeMapping(m)).toEqual([
      'm2 10.0.1.12 → a1 10.8.0.31: gets the swarm state, then advertises its new address',
      'm1 10.0.1.11 → a2 10.8.0.32: joins as a new manager',
      'm3 10.0.1.13 → a3 10.8.0.33: joins as a new manager',
    ]);
  });

  it('follows --map for the source and for the others', () => {
    const m = mapManagers(manifest, newSite, parseManagerMaps(['10.0.1.12=a3', '10.0.1.11=10.8.0.31']), 'b');
    expect(m.target.name).toBe('a3');
    expect(m.pairs.map((p) => [p.old?.hostname, p.new?.name])).toEqual([
      ['m2', 'a3'],
      ['m1', 'a1'],
      ['m3', 'a2'],
    ]);
  });

  it('refuses a --map whose OLD was no manager, whose NEW is no manager of the file, or two olds onto one new', () => {
    const attempt = (maps: string[]) => () => mapManagers(manifest, newSite, parseManagerMaps(maps), 'b');
    expect(attempt(['10.0.1.21=a1'])).toThrow(/10.0.1.21 was not a manager of the backed-up swarm/);
    expect(attempt(['10.0.1.12=b1'])).toThrow(/no manager of the cluster file is named or advertises b1/);
    expect(attempt(['10.0.1.12=a1', '10.0.1.11=10.8.0.31'])).toThrow(
      /a1 is the new place of two old managers/,
    );
  });

  it('with one manager in the file, a worker helps for the hand-off only; with one host, it refuses (exit 3)', () => {
    const one = mapManagers(manifest, [host('a1', '10.8.0.31'), host('b1', '10.8.0.41', false)], [], 'b');
    expect([one.helper?.host.name, one.helper?.temporary]).toEqual(['b1', true]);
    expect(describeMapping(one)).toContain(
      'm1 10.0.1.11 → (none): not restored (the swarm keeps the other managers of the file)',
    );
    let error: unknown;
    try {
      mapManagers(manifest, [host('a1', '10.8.0.31')], [], 'b');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EectlError);
    expect(error).toMatchObject({ code: 'ERESTORE_ADDRESS', exitCode: ExitCode.preflight });
  });
});
