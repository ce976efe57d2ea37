import { describe, expect, it } from 'vitest';
import { parseProxyUrl } from '../../../../src/lib/config/proxy-url.js';
import type { HostProxy } from '../../../../src/lib/host/proxy.js';
import { configurerFor, type EngineSourceSpec } from '../../../../src/lib/host/os/index.js';
import { CENTOS_7, factsFor, FEDORA_40, OPENSUSE_LEAP, RHEL_9, ROCKY_9, SLES_15 } from './fixtures.js';

// Every step the rpm configurers (dnf, yum, zypper) generate, for every source, as one snapshot: the
// shared base they are built on must keep each of them byte-identical (argv, file text, secret flags).

const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBGM=\n-----END PGP PUBLIC KEY BLOCK-----\n';
const HOSTS = {
  'rocky 9 (dnf)': ROCKY_9,
  'rhel 9 (dnf)': RHEL_9,
  'centos 7 (yum)': CENTOS_7,
  'fedora 40 (dnf)': FEDORA_40,
  'sles 15 (zypper)': SLES_15,
  'sles 15 s390x (zypper)': factsFor({ ...SLES_15.os }, 'zypper', 's390x'),
  'opensuse leap (zypper)': OPENSUSE_LEAP,
};
const SOURCES: Record<string, EngineSourceSpec> = {
  distro: { source: 'distro' },
  docker: { source: 'docker' },
  'mirror, unsigned': { source: 'mirror', repoUrl: 'https://mirror.internal/rpm/', insecure: true },
  'mirror, signed, with a login': {
    source: 'mirror',
    repoUrl: 'https://ci:s3cr%40t@mirror.internal:8443/el9/docker/?x=1',
    repoKey: KEY,
  },
};
const AVAILABLE = [
  { name: 'docker-ce', version: '3:27.3.1-1.el9' },
  { name: 'docker-ce-cli', version: '1:27.3.1-1.el9' },
];
const VERSION = '3:27.3.1-1.el9';

const proxy = (url: string): HostProxy => {
  const credentials = url.includes('@');
  return { http: parseProxyUrl(url, { credentials }), noProxy: ['10.0.0.0/8'], credentials };
};

/** What a call returns, or the error it throws (code and message). */
function outcome(call: () => unknown): unknown {
  try {
    return call();
  } catch (e) {
    const error = e as { code?: string; message: string };
    return { throws: `${error.code ?? ''}: ${error.message}` };
  }
}

describe('rpm configurers: every generated step, for every source', () => {
  it.each(Object.entries(HOSTS))('%s', (_, facts) => {
    const configurer = configurerFor(facts);
    const bySource = Object.fromEntries(
      Object.entries(SOURCES).map(([name, spec]) => [
        name,
        {
          check: outcome(() => configurer.checkSource(spec)),
          packages: outcome(() => configurer.enginePackages(spec)),
          setup: outcome(() => configurer.setupSource(spec)),
          refresh: outcome(() => configurer.refreshMetadata(spec)),
          list: outcome(() => configurer.listVersions(spec)),
          install: outcome(() => configurer.installEngine(spec, VERSION, AVAILABLE)),
          download: outcome(() => configurer.downloadEngine(spec, VERSION, AVAILABLE)),
        },
      ]),
    );
    expect({
      name: configurer.name,
      packageManager: configurer.packageManager,
      packageFamily: configurer.packageFamily,
      installed: configurer.installedQuery(),
      hold: configurer.holdPackages(['docker-ce', 'docker-ce-cli']),
      remove: configurer.removeEngine(['docker-ce', 'containerd.io']),
      removeNothing: configurer.removeEngine([]),
      proxy: outcome(() => configurer.packageProxy(proxy('http://proxy.internal:3128'), {})),
      proxyWithLogin: outcome(() => configurer.packageProxy(proxy('http://ops:pw@proxy.internal:3128'), {})),
      noProxy: outcome(() => configurer.packageProxy(undefined, {})),
      bySource,
    }).toMatchSnapshot();
  });
});
