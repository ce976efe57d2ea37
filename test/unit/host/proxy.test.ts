import { describe, expect, it } from 'vitest';
import { clusterSchema, type ClusterConfig } from '../../../src/lib/config/schema.js';
import { configurerFor, type Step } from '../../../src/lib/host/os/index.js';
import {
  APT_PROXY_AUTH,
  APT_PROXY_CONF,
  DNF_CONF,
  ZYPPER_PROXY_FILE,
} from '../../../src/lib/host/os/proxy.js';
import {
  defaultNoProxy,
  ENGINE_PROXY_ENV,
  engineProxyFiles,
  resolveHostProxy,
} from '../../../src/lib/host/proxy.js';
import { redact } from '../../../src/lib/ui/redact.js';
import { commands, DEBIAN_12, ROCKY_9, SLES_15, uploads } from './os/fixtures.js';

function config(spec: Record<string, unknown>): ClusterConfig {
  return clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: {
      hosts: [
        { address: 'm1.example.com', role: 'manager', privateAddress: '10.0.0.11' },
        { address: '10.0.0.21', role: 'worker' },
      ],
      ...spec,
    },
  });
}

const PLAIN = config({ proxy: { http: 'http://proxy.corp:3128', noProxy: ['.corp.internal'] } });
const SECRET_URL = 'http://svc-eectl:Pr0xy-s3cret@proxy.corp:3128';
const WITH_LOGIN = config({ proxy: { urlEnv: 'EECTL_TEST_PROXY' } });
const env = { EECTL_TEST_PROXY: SECRET_URL };

describe('noProxy: the cluster reaches itself directly', () => {
  it("lists loopback, every host's address and swarm address, the registry's name and the address pools", () => {
    const c = config({
      registry: { externalUrl: 'https://registry.corp.example:5443' },
      swarm: { defaultAddrPool: ['10.20.0.0/16'] },
    });
    expect(defaultNoProxy(c, ['10.0.0.22'])).toEqual([
      'localhost',
      '127.0.0.1',
      '::1',
      'm1.example.com',
      '10.0.0.11',
      '10.0.0.21',
      '10.0.0.22',
      'registry.corp.example',
      '10.20.0.0/16',
    ]);
  });

  it("merges the file's list after the defaults, once each", () => {
    const proxy = resolveHostProxy(PLAIN, 0, ['10.0.0.11'], {})!;
    expect(proxy.noProxy.filter((e) => e === '10.0.0.11')).toHaveLength(1);
    expect(proxy.noProxy.at(-1)).toBe('.corp.internal');
    expect(proxy.https?.address).toBe('http://proxy.corp:3128');
  });

  it("a host's own proxy replaces spec.proxy; a host without one has spec.proxy", () => {
    const c = config({ proxy: { http: 'http://proxy.corp:3128' } });
    c.spec.hosts[1]!.proxy = { http: 'http://other:8080', noProxy: [] };
    expect(resolveHostProxy(c, 1, [], {})?.http?.address).toBe('http://other:8080');
    expect(resolveHostProxy(c, 0, [], {})?.http?.address).toBe('http://proxy.corp:3128');
    expect(resolveHostProxy(config({}), 0, [], {})).toBeUndefined();
  });
});

describe('urlEnv: a proxy login is a secret', () => {
  it('is read from the environment and registered for redaction in every form', () => {
    const proxy = resolveHostProxy(WITH_LOGIN, 0, [], env)!;
    expect(proxy.credentials).toBe(true);
    expect(proxy.http?.url).toBe(SECRET_URL);
    expect(
      redact(`url ${SECRET_URL} pw Pr0xy-s3cret b64 ${Buffer.from('Pr0xy-s3cret').toString('base64')}`),
    ).not.toMatch(/Pr0xy|UHIweHkt/);
  });

  it('names the variable, never the URL, when it is unset or refused', () => {
    expect(() => resolveHostProxy(WITH_LOGIN, 0, [], {})).toThrow(
      expect.objectContaining({ code: 'ESECRET', message: expect.stringContaining('EECTL_TEST_PROXY') }),
    );
    const hostile = 'http://u:p@proxy:3128\nExecStartPre=/bin/touch /pwned';
    let message = '';
    try {
      resolveHostProxy(WITH_LOGIN, 0, [], { EECTL_TEST_PROXY: hostile });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/spec\.proxy\.urlEnv: the URL in EECTL_TEST_PROXY must be a URL/);
    expect(message).not.toContain('pwned');
  });
});

describe("the engine's drop-in", () => {
  it('sets HTTP_PROXY, HTTPS_PROXY and NO_PROXY in the drop-in when there is no login', () => {
    const files = engineProxyFiles(resolveHostProxy(PLAIN, 0, [], {})!);
    expect(files.envFile).toBeUndefined();
    expect(files.dropIn).toContain('[Service]\n');
    expect(files.dropIn).toMatch(
      /^Environment="HTTP_PROXY=http:\/\/proxy\.corp:3128" "HTTPS_PROXY=http:\/\/proxy\.corp:3128" "NO_PROXY=localhost,127\.0\.0\.1,::1,m1\.example\.com,10\.0\.0\.11,10\.0\.0\.21,\.corp\.internal"$/m,
    );
  });

  it('doubles % (a systemd specifier) in Environment=', () => {
    const c = config({ proxy: { http: 'http://proxy.corp:3128' } });
    const files = engineProxyFiles({ ...resolveHostProxy(c, 0, [], {})!, noProxy: ['%h'] });
    expect(files.dropIn).toContain('NO_PROXY=%%h');
  });

  it('with a login, names a root-only environment file and keeps the URL out of the drop-in', () => {
    const files = engineProxyFiles(resolveHostProxy(WITH_LOGIN, 0, [], env)!);
    expect(files.dropIn).toContain(`EnvironmentFile=${ENGINE_PROXY_ENV}`);
    expect(files.dropIn).not.toContain('s3cret');
    expect(files.envFile).toContain(`HTTP_PROXY=${SECRET_URL}\n`);
  });
});

const secretUploads = (steps: readonly Step[]) => uploads(steps).filter((u) => u.secret === true);

describe('apt: a conf file, and the login in auth.conf.d', () => {
  const apt = configurerFor(DEBIAN_12);

  it('writes Acquire::http(s)::Proxy and DIRECT for the hosts that are reached directly', () => {
    const steps = apt.packageProxy(resolveHostProxy(PLAIN, 0, [], {}), {});
    const [conf] = uploads(steps);
    expect(conf?.path).toBe(APT_PROXY_CONF);
    expect(conf?.mode).toBe(0o644);
    expect(conf?.content).toContain('Acquire::http::Proxy "http://proxy.corp:3128/";\n');
    expect(conf?.content).toContain('Acquire::https::Proxy "http://proxy.corp:3128/";\n');
    expect(conf?.content).toContain('Acquire::http::Proxy::10.0.0.21 "DIRECT";\n');
    // IPv6 and .domain entries cannot be apt option names.
    expect(conf?.content).not.toMatch(/Proxy::(::1|\.corp)/);
  });

  it('does nothing when the conf is in place, and removes both files when the proxy goes', () => {
    const proxy = resolveHostProxy(PLAIN, 0, [], {});
    const conf = uploads(apt.packageProxy(proxy, {}))[0]!.content;
    expect(apt.packageProxy(proxy, { [APT_PROXY_CONF]: conf })).toEqual([]);
    expect(commands(apt.packageProxy(undefined, { [APT_PROXY_CONF]: conf }))).toEqual([
      ['rm', '-f', APT_PROXY_CONF, APT_PROXY_AUTH],
    ]);
    expect(apt.packageProxy(undefined, {})).toEqual([]);
  });

  it('puts a login into a root-only auth.conf.d file, never into the conf file or a command', () => {
    const steps = apt.packageProxy(resolveHostProxy(WITH_LOGIN, 0, [], env), {});
    const [auth] = secretUploads(steps);
    expect(auth).toMatchObject({ path: APT_PROXY_AUTH, mode: 0o600 });
    expect(auth?.content).toBe('machine http://proxy.corp:3128 login svc-eectl password Pr0xy-s3cret\n');
    const conf = uploads(steps).find((u) => u.path === APT_PROXY_CONF)!;
    expect(conf.content).toContain('Acquire::http::Proxy "http://proxy.corp:3128/";');
    expect(conf.content).not.toContain('s3cret');
    expect(JSON.stringify(commands(steps))).not.toContain('s3cret');
  });
});

describe('dnf: [main] proxy through config-manager', () => {
  const dnf = configurerFor(ROCKY_9);

  it('sets, keeps and removes the proxy of dnf.conf', () => {
    const proxy = resolveHostProxy(PLAIN, 0, [], {});
    expect(commands(dnf.packageProxy(proxy, { [DNF_CONF]: '[main]\ngpgcheck=1\n' }))).toEqual([
      ['dnf', 'config-manager', '--save', '--setopt=proxy=http://proxy.corp:3128'],
    ]);
    const set = '[main]\ngpgcheck=1\nproxy = http://proxy.corp:3128\n';
    expect(dnf.packageProxy(proxy, { [DNF_CONF]: set })).toEqual([]);
    expect(commands(dnf.packageProxy(undefined, { [DNF_CONF]: set }))).toEqual([
      ['dnf', 'config-manager', '--save', '--setopt=proxy='],
    ]);
    expect(dnf.packageProxy(undefined, { [DNF_CONF]: '[main]\n' })).toEqual([]);
  });

  it('refuses a login: dnf.conf is world-readable', () => {
    expect(() => dnf.packageProxy(resolveHostProxy(WITH_LOGIN, 0, [], env), {})).toThrow(
      expect.objectContaining({ code: 'EPROXY' }),
    );
  });
});

describe("zypper: SUSE's /etc/sysconfig/proxy", () => {
  const zypper = configurerFor(SLES_15);

  it('writes the file whole, and disables it (only when it is ours) when the proxy goes', () => {
    const steps = zypper.packageProxy(resolveHostProxy(PLAIN, 0, [], {}), {});
    const [file] = uploads(steps);
    expect(file?.path).toBe(ZYPPER_PROXY_FILE);
    expect(file?.content).toContain('PROXY_ENABLED="yes"\nHTTP_PROXY="http://proxy.corp:3128"\n');
    expect(file?.content).toMatch(/^NO_PROXY="localhost, 127\.0\.0\.1, .*\.corp\.internal"$/m);
    expect(
      uploads(zypper.packageProxy(undefined, { [ZYPPER_PROXY_FILE]: file!.content }))[0]?.content,
    ).toContain('PROXY_ENABLED="no"');
    expect(zypper.packageProxy(undefined, { [ZYPPER_PROXY_FILE]: 'PROXY_ENABLED="yes"\n' })).toEqual([]);
  });

  it('refuses a login', () => {
    expect(() => zypper.packageProxy(resolveHostProxy(WITH_LOGIN, 0, [], env), {})).toThrow(
      expect.objectContaining({ code: 'EPROXY' }),
    );
  });
});
