import { describe, expect, it } from 'vitest';
import { check, HEAD, lines, THREE_MANAGERS } from './helpers.js';

const hosts = (...roles: string[]) =>
  `${HEAD}  hosts:\n${roles.map((role, i) => `    - address: 10.0.0.${i + 1}\n      role: ${role}\n`).join('')}`;

describe('relations between fields', () => {
  it('refuses a cluster without a manager', () => {
    expect(lines(hosts('worker', 'registry'))).toEqual([
      'cluster.yaml:7:5: spec.hosts: no manager: at least one host needs role: manager (3 managers tolerate 1 failure)',
    ]);
  });

  it('refuses duplicate addresses, pointing at the second', () => {
    const text = `${HEAD}${THREE_MANAGERS}    - address: 10.0.0.2
      role: worker
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:16: spec.hosts[3].address: duplicate address 10.0.0.2: spec.hosts[1] has it too',
    ]);
  });

  it('tells hosts apart by SSH port (sandbox hosts share 127.0.0.1), but not the same port twice', () => {
    const text = `${HEAD}${THREE_MANAGERS}    - { address: 127.0.0.1, role: worker, ssh: { port: 2201 } }
    - { address: 127.0.0.1, role: worker, ssh: { port: 2202 } }
    - { address: 127.0.0.1, role: worker, ssh: { port: 2202 } }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:15:18: spec.hosts[5].address: duplicate address 127.0.0.1 port 2202: spec.hosts[4] has it too',
    ]);
  });

  it('refuses duplicate private addresses', () => {
    const text = `${HEAD}  hosts:
    - { address: a.example.com, role: manager, privateAddress: 10.1.0.1 }
    - { address: b.example.com, role: worker, privateAddress: 10.1.0.1 }
`;
    expect(lines(text)).toContain(
      'cluster.yaml:8:63: spec.hosts[1].privateAddress: duplicate privateAddress 10.1.0.1: spec.hosts[0] has it too (each node advertises its own)',
    );
  });

  it('finds duplicates even when another host has a mistake', () => {
    const text = `${HEAD}${THREE_MANAGERS}    - address: 10.0.0.1
      role: worker
    - address: 10.0.0.9
      role: boss
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:16: spec.hosts[3].address: duplicate address 10.0.0.1: spec.hosts[0] has it too',
      'cluster.yaml:16:13: spec.hosts[4].role: must be one of manager, worker, registry',
    ]);
  });

  it('refuses a mirror without repoKey unless insecure: true says so, which is warned about', () => {
    const mirror = `${THREE}  engine:\n    source: mirror\n    repoUrl: http://m/debian\n`;
    expect(lines(mirror)).toEqual([
      'cluster.yaml:14:13: spec.engine.source: a mirror needs repoKey: the public key that signs it (or insecure: true to install unsigned packages on purpose)',
    ]);
    const insecure = lines(`${mirror}    insecure: true\n`);
    expect(insecure).toEqual([
      expect.stringMatching(
        /^cluster.yaml:16:15: warning: spec.engine.insecure: the mirror is unsigned on purpose/,
      ),
    ]);
    expect(lines(`${mirror}    insecure: true\n    repoKey: k.asc\n`)).toEqual([
      expect.stringMatching(
        /^cluster.yaml:16:15: spec.engine.insecure: insecure: true and a repoKey contradict/,
      ),
    ]);
  });

  it('refuses a mirror without repoUrl, and warns about a repoUrl nothing uses', () => {
    expect(lines(`${THREE}  engine:\n    source: mirror\n`)).toEqual([
      'cluster.yaml:14:13: spec.engine.source: mirror needs repoUrl: the package repository to install the engine from',
    ]);
    expect(
      check(`${THREE}  engine: { source: mirror, repoUrl: http://mirror.internal/debian, repoKey: k.asc }\n`)
        .errors,
    ).toEqual([]);
    expect(lines(`${THREE}  engine: { repoUrl: http://mirror.internal/debian }\n`)).toEqual([
      'cluster.yaml:13:22: warning: spec.engine.repoUrl: is used only with source: mirror, and source is docker',
    ]);
  });

  describe('registry replicas', () => {
    const twoRegistries = `${THREE}    - { address: 10.0.0.31, role: registry }\n    - { address: 10.0.0.32, role: registry }\n`;
    const reason =
      'registry replicas must share storage: 2 registry hosts (10.0.0.31, 10.0.0.32) would each keep their own images in';
    const advice = 'mark it shared: true if the path is on shared storage, use s3, or keep one registry host';

    it('refuses two on default (local) storage, pointing at the second replica', () => {
      expect(lines(twoRegistries)).toEqual([
        `cluster.yaml:14:35: spec.registry.storage: ${reason} /var/lib/eectl/registry; ${advice}`,
      ]);
    });

    it('refuses two on a filesystem path not marked shared, pointing at the storage', () => {
      const text = `${twoRegistries}  registry:\n    storage:\n      filesystem: { path: /srv/registry }\n`;
      expect(lines(text)).toEqual([
        `cluster.yaml:17:19: spec.registry.storage: ${reason} /srv/registry; ${advice}`,
      ]);
    });

    it('accepts shared storage, s3, or a single replica', () => {
      const shared = `${twoRegistries}  registry: { storage: { filesystem: { path: /mnt/r, shared: true } } }\n`;
      const s3 = `${twoRegistries}  registry:
    storage: { s3: { bucket: b, region: r, accessKeyEnv: S3_KEY, secretKeyEnv: S3_SECRET } }
`;
      const single = `${THREE}    - { address: 10.0.0.31, role: registry }\n`;
      for (const text of [shared, s3, single]) expect(check(text).errors).toEqual([]);
    });
  });
});

const THREE = `${HEAD}${THREE_MANAGERS}`;

describe('manager count warnings', () => {
  it('warns that one manager has no fault tolerance', () => {
    const { errors, warnings, config } = check(hosts('manager', 'worker'));
    expect(errors).toEqual([]);
    expect(config).toBeDefined();
    expect(warnings.map((w) => w.message)).toEqual([
      '1 manager: no fault tolerance: lose it and the cluster cannot be managed',
    ]);
  });

  it('warns that an even number tolerates no more than one fewer', () => {
    expect(lines(hosts('manager', 'manager', 'manager', 'manager'))).toEqual([
      'cluster.yaml:7:5: warning: spec.hosts: 4 managers tolerate 1 failure, as 3 do: use an odd number',
    ]);
    expect(lines(hosts('manager', 'manager'))).toEqual([
      'cluster.yaml:7:5: warning: spec.hosts: 2 managers tolerate 0 failures, as 1 does: use an odd number',
    ]);
  });

  it('is quiet for 3 and 5', () => {
    expect(lines(hosts('manager', 'manager', 'manager'))).toEqual([]);
    expect(lines(hosts('manager', 'manager', 'manager', 'manager', 'manager', 'worker'))).toEqual([]);
  });
});
