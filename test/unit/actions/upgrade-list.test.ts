import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { listUpgradeVersions, mergeOffers } from '../../../src/lib/actions/upgrade-list.js';
import { listSteps } from '../../../src/lib/phases/upgrade-list.js';
import { ClusterFile } from '../../../src/lib/config/cluster-file.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { renderUpgradeList } from '../../../src/lib/ui/upgrade-summary.js';
import { clusterFile, OFFERED, ScriptedCluster } from '../../helpers/scripted-cluster.js';
import { DEBIAN_12, FEDORA_40, ROCKY_9, SLES_15 } from '../host/os/fixtures.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';
import { testClusterContext } from '../../helpers/contexts.js';

useTempEectlHome();

const options = (cluster: ScriptedCluster) => ({
  session: cluster.session(),
  log: nullLogger,
  concurrency: 8,
  progress: 'silent' as const,
  dryRun: false,
});

const [NEWER, OLDER] = OFFERED as [string, string];

describe('upgrade --list over the scripted cluster', () => {
  it('lists what the source offers, newest first, marking the installed and the pinned version; changes only package lists', async () => {
    const cluster = new ScriptedCluster();
    const written = await clusterFile();
    writeFileSync(written.path, readFileSync(written.path, 'utf8').replace('"27.3"', '"27.2"'));
    const file = await ClusterFile.read(written.path, {});
    await install({ ...options(cluster), config: file.config });
    const since = cluster.mark();

    const r = await listUpgradeVersions({ ...options(cluster), config: file.config });

    const all = ['10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.21'];
    expect(r.engineVersion).toBe('27.2');
    expect(r.versions).toEqual([
      { version: NEWER, upstream: '27.3.1', package: 'docker-ce', hosts: all, installed: [], pinned: [] },
      { version: OLDER, upstream: '27.2.0', package: 'docker-ce', hosts: all, installed: all, pinned: all },
    ]);
    // Argv only, the same fixed commands on every host: eectl's list refreshed, then madison.
    const work = cluster.journal.slice(since).filter((e) => /apt|madison/.test(e.line));
    expect(new Set(work.map((e) => e.line.split(' -o ')[0]))).toEqual(
      new Set(['env DEBIAN_FRONTEND=noninteractive apt-get', 'apt-cache madison docker-ce docker-ce-cli']),
    );
    expect(cluster.hostWork(since).every((l) => / apt-get -o DPkg::Lock::Timeout=300 update /.test(l))).toBe(
      true,
    );

    const text = renderUpgradeList(r);
    expect(text).toContain('engine.version in the file: "27.2"');
    expect(text).toMatch(/27\.3\.1 +docker-ce 5:27\.3\.1-1~debian\.12~bookworm +every host\n/);
    expect(text).toMatch(/27\.2\.0 .* every host +installed: every host; pinned: every host/);
  });
});

describe('the commands --list runs, per OS family', () => {
  const ctx = (engine: Record<string, unknown>) =>
    testClusterContext(
      clusterSchema.parse({
        apiVersion: 'eectl/v1',
        kind: 'Cluster',
        metadata: { name: 'prod' },
        spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], engine },
      }),
    );
  const argv = (facts: typeof DEBIAN_12, engine: Record<string, unknown>) =>
    listSteps({ known: facts }, ctx(engine)).map((s) => [s.sudo ? 'root' : 'user', ...s.command].join(' '));

  it('Debian: apt-get update of the engine source, then apt-cache madison of the engine package', () => {
    expect(argv(DEBIAN_12, { source: 'distro' })).toEqual([
      'root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update',
      'user apt-cache madison docker.io docker-cli',
    ]);
    expect(argv(DEBIAN_12, { source: 'docker' })).toEqual([
      'root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/eectl-engine.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0',
      'user apt-cache madison docker-ce docker-ce-cli',
    ]);
  });

  it('RHEL family and Fedora: dnf makecache and dnf list --showduplicates of eectl’s repository, as root', () => {
    for (const facts of [ROCKY_9, FEDORA_40]) {
      expect(argv(facts, { source: 'docker' })).toEqual([
        'root dnf -y --disablerepo=* --enablerepo=eectl-engine makecache',
        'root dnf list --showduplicates --disablerepo=* --enablerepo=eectl-engine docker-ce docker-ce-cli',
      ]);
    }
  });

  it('SUSE: zypper refresh and zypper search --details of eectl’s repository, as root', () => {
    const [refresh, list] = argv(SLES_15, { source: 'docker' });
    expect(refresh).toBe('root env ZYPP_LOCK_TIMEOUT=300 zypper --non-interactive refresh eectl-engine');
    expect(list).toMatch(
      /^root env ZYPP_LOCK_TIMEOUT=300 zypper --non-interactive .*search --details --match-exact docker-ce docker-ce-cli$/,
    );
  });

  it('puts no value of the file into a command: a hostile mirror address and version reach none', () => {
    const hostile = `http://10.0.0.1/x';reboot;'/`;
    for (const facts of [DEBIAN_12, ROCKY_9, SLES_15]) {
      const lines = argv(facts, { source: 'mirror', repoUrl: hostile, insecure: true, version: '27.3' });
      expect(lines.join('\n')).not.toMatch(/reboot|10\.0\.0\.1|27\.3/);
    }
  });
});

describe('mergeOffers', () => {
  it('one row per package version with the hosts that offer it, newest first across families; an installed version no longer offered stays', () => {
    const rows = mergeOffers([
      {
        host: 'd1',
        family: 'deb',
        package: 'docker-ce',
        offered: ['5:27.3.1-1~debian.12~bookworm', '5:26.1.4-1~debian.12~bookworm'],
        installed: '5:26.1.3-1~debian.12~bookworm',
        pinned: '5:26.1.4-1~debian.12~bookworm',
      },
      {
        host: 'd2',
        family: 'deb',
        package: 'docker-ce',
        offered: ['5:26.1.4-1~debian.12~bookworm'],
        installed: '5:26.1.4-1~debian.12~bookworm',
        pinned: '5:26.1.4-1~debian.12~bookworm',
      },
      { host: 'r1', family: 'rpm', package: 'docker-ce', offered: ['3:27.3.1-1.el9', '3:26.1.10-1.el9'] },
    ]);
    expect(rows.map((r) => [r.version, r.hosts, r.installed, r.pinned])).toEqual([
      ['5:27.3.1-1~debian.12~bookworm', ['d1'], [], []],
      ['3:27.3.1-1.el9', ['r1'], [], []],
      ['3:26.1.10-1.el9', ['r1'], [], []],
      ['5:26.1.4-1~debian.12~bookworm', ['d1', 'd2'], ['d2'], ['d1', 'd2']],
      ['5:26.1.3-1~debian.12~bookworm', [], ['d1'], []],
    ]);
    expect(
      renderUpgradeList({ cluster: 'prod', versions: rows, hosts: [], phases: [], seconds: 0 }),
    ).toContain('no longer offered');
  });
});
