import { describe, expect, it } from 'vitest';
import { diffInventory, describeDifference, manifestProblems } from '../../../src/lib/backup/manifest.js';
import {
  type SwarmInventory,
  parseIdNameLines,
  parseServiceInventory,
} from '../../../src/lib/swarm/inventory.js';
import { archiveName, archivesToPrune, archiveStamp } from '../../../src/lib/backup/retention.js';
import { chooseBackupSource } from '../../../src/lib/backup/source.js';
import { joinEntryName } from '../../../src/lib/backup/archive-writer.js';
import type { SwarmNode } from '../../../src/lib/swarm/nodes.js';

const node = (hostname: string, addr: string, extra: Partial<SwarmNode> = {}): SwarmNode => ({
  id: `id-${hostname}`,
  hostname,
  role: 'manager',
  state: 'ready',
  availability: 'active',
  addr,
  engineVersion: '20.10.24',
  leader: false,
  reachability: 'reachable',
  labels: {},
  ...extra,
});

describe('which manager a backup copies from', () => {
  const m1 = node('m1', '10.0.0.11', { leader: true });
  const m2 = node('m2', '10.0.0.12');
  const m3 = node('m3', '10.0.0.13');
  const w1 = node('w1', '10.0.0.21', { role: 'worker', reachability: undefined });
  const all = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

  it('takes the first reachable non-leader manager of the file, never the leader', () => {
    const choice = chooseBackupSource([m1, m2, m3, w1], all);
    expect(choice).toMatchObject({ ok: true, outage: false, address: '10.0.0.12' });
    expect(chooseBackupSource([m1, m2, m3], ['10.0.0.11', '10.0.0.13'])).toMatchObject({
      ok: true,
      address: '10.0.0.13',
    });
    expect(chooseBackupSource([m1, m2, m3], ['10.0.0.11']).ok).toBe(false);
  });

  it('refuses when stopping one more manager would lose the quorum, and says why', () => {
    const down = { ...m3, reachability: 'unreachable', state: 'down' };
    const choice = chooseBackupSource([m1, m2, down], all);
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.reason).toContain('2 of 3 managers are reachable (m3 (10.0.0.13) not)');
    expect(choice.reason).toContain('fewer than the 2 a majority needs');
    expect(choice.suggestions.join(' ')).toMatch(/Bring the unreachable manager back/);
  });

  it('with five managers, one down, still finds one to stop (3 of 5 stay up)', () => {
    const five = [
      m1,
      m2,
      m3,
      node('m4', '10.0.0.14', { reachability: 'unreachable' }),
      node('m5', '10.0.0.15'),
    ];
    expect(chooseBackupSource(five, all).ok).toBe(true);
  });

  it('with one manager: that manager, as an outage', () => {
    expect(chooseBackupSource([m1, w1], all)).toMatchObject({ ok: true, outage: true, address: '10.0.0.11' });
  });
});

describe('retention (--keep)', () => {
  it('names archives by cluster and UTC time, so the names sort by age', () => {
    expect(archiveName('prod', new Date('2026-01-02T03:04:05.678Z'))).toBe(
      'prod-backup-20260102T030405Z.tar.age',
    );
    expect(archiveStamp('prod', '/b/prod-backup-20260102T030405Z.tar.age')).toBe('20260102T030405Z');
    expect(archiveStamp('prod', '/b/prod-dev-backup-20260102T030405Z.tar.age')).toBeUndefined();
  });

  it("removes this cluster's oldest archives beyond N and nothing else", () => {
    const files = [
      '/b/prod-backup-20260103T000000Z.tar.age',
      '/b/prod-backup-20260101T000000Z.tar.age',
      '/b/prod-backup-20260102T000000Z.tar.age',
      '/b/staging-backup-20250101T000000Z.tar.age',
      '/b/prod-backup-20250101T000000Z.tar.age.partial',
      '/b/prod-backup-notes.txt',
    ];
    expect(archivesToPrune('prod', files, 2)).toEqual(['/b/prod-backup-20260101T000000Z.tar.age']);
    expect(archivesToPrune('prod', files, 1)).toEqual([
      '/b/prod-backup-20260101T000000Z.tar.age',
      '/b/prod-backup-20260102T000000Z.tar.age',
    ]);
    expect(archivesToPrune('prod', files, 5)).toEqual([]);
    expect(() => archivesToPrune('prod', files, 0)).toThrow();
  });
});

describe('manifest diff after a restore', () => {
  const expected: SwarmInventory = {
    services: [
      {
        name: 'web',
        id: 's1',
        mode: 'replicated',
        replicas: 3,
        secrets: ['pw'],
        configs: ['conf'],
        networks: ['net'],
      },
      { name: 'agent', id: 's2', mode: 'global', secrets: [], configs: [], networks: ['net'] },
    ],
    secrets: [{ name: 'pw', id: 'x1' }],
    configs: [{ name: 'conf', id: 'c1' }],
    networks: [{ name: 'net', id: 'n1' }],
  };

  it('finds nothing when everything came back (extra objects are not differences)', () => {
    const actual = { ...expected, networks: [...expected.networks, { name: 'ingress', id: 'i' }] };
    expect(diffInventory(expected, actual)).toEqual([]);
  });

  it('names every missing object, changed ID, replica count and detached secret', () => {
    const actual: SwarmInventory = {
      services: [
        {
          name: 'web',
          id: 's1',
          mode: 'replicated',
          replicas: 1,
          secrets: [],
          configs: ['conf'],
          networks: ['net'],
        },
      ],
      secrets: [{ name: 'pw', id: 'other' }],
      configs: [],
      networks: [{ name: 'net', id: 'n1' }],
    };
    expect(diffInventory(expected, actual).map(describeDifference)).toEqual([
      'secret pw: ID other instead of x1',
      'config conf: missing',
      'service web: 1 replicas instead of 3',
      'service web: secret pw not attached',
      'service agent: missing',
    ]);
  });

  it('checks a manifest read from an archive', () => {
    expect(manifestProblems({ format: 3 })).toContain(
      'format 3 is newer than this eectl reads (2): upgrade eectl',
    );
    expect(manifestProblems(null)).toEqual(['the manifest is not a JSON object']);
  });
});

describe('archive entry names and inventories', () => {
  it('keeps host tar entries under their prefix, without ./ and without a way out', () => {
    expect(joinEntryName('registry-data', './docker/registry/v2')).toBe('registry-data/docker/registry/v2');
    expect(joinEntryName('registry-data', '.')).toBe('registry-data/');
    expect(joinEntryName('', 'swarm/raft/wal')).toBe('swarm/raft/wal');
    expect(() => joinEntryName('', 'swarm/../../etc/passwd')).toThrow(/leaves/);
  });

  it('reads services with replicas, secrets, configs and networks named through the network list', () => {
    const networks = parseIdNameLines('n1abc e2e-net\ni1 ingress\n');
    const services = parseServiceInventory(
      JSON.stringify([
        {
          ID: 's1',
          Spec: {
            Name: 'web',
            Mode: { Replicated: { Replicas: 3 } },
            TaskTemplate: {
              ContainerSpec: { Secrets: [{ SecretName: 'pw' }], Configs: [{ ConfigName: 'conf' }] },
              Networks: [{ Target: 'n1abc' }],
            },
          },
        },
        { ID: 's2', Spec: { Name: 'agent', Mode: { Global: {} } } },
      ]),
      networks,
    );
    expect(services).toEqual([
      {
        name: 'web',
        id: 's1',
        mode: 'replicated',
        replicas: 3,
        secrets: ['pw'],
        configs: ['conf'],
        networks: ['e2e-net'],
      },
      { name: 'agent', id: 's2', mode: 'global', secrets: [], configs: [], networks: [] },
    ]);
  });
});
