import { describe, expect, it } from 'vitest';
import { clusterSchema, type ClusterConfig } from '../../../src/lib/config/schema.js';
import { configurerFor, type Step } from '../../../src/lib/host/os/index.js';
import {
  APT_PROXY_AUTH,
  APT_PROXY_CONF,
  DNF_CONF,
  PACKAGE_PROXY_MARK,
  ZYPPER_PROXY_FILE,
} from '../../../src/lib/host/os/proxy.js';
import { MANAGED_FILES } from '../../../src/lib/host/facts.js';
import { defaultNoProxy, engineProxyFiles, resolveHostProxy } from '../../../src/lib/host/proxy.js';
import { ENGINE_PROXY_ENV } from '../../../src/lib/host-layout.js';
import { redact } from '../../../src/lib/util/redact.js';
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

  it("sets, keeps and removes the proxy of dnf.conf, judged by eectl's own record (dnf.conf is never read)", () => {
    const proxy = resolveHostProxy(PLAIN, 0, [], {});
    const steps = dnf.packageProxy(proxy, { [DNF_CONF]: '[main]\nproxy=http://proxy.corp:3128\n' });
    expect(commands(steps)).toEqual([
      ['dnf', 'config-manager', '--save', '--setopt=proxy=http://proxy.corp:3128'],
      ['install', '-d', '-m', '0755', '/etc/eectl'],
    ]);
    const mark = uploads(steps)[0]!;
    expect(mark).toMatchObject({ path: PACKAGE_PROXY_MARK, mode: 0o644 });
    expect(dnf.packageProxy(proxy, { [PACKAGE_PROXY_MARK]: mark.content })).toEqual([]);
    expect(commands(dnf.packageProxy(undefined, { [PACKAGE_PROXY_MARK]: mark.content }))).toEqual([
      ['dnf', 'config-manager', '--save', '--setopt=proxy='],
      ['rm', '-f', PACKAGE_PROXY_MARK],
    ]);
    // A proxy the operator set in dnf.conf is not eectl's to remove.
    expect(dnf.packageProxy(undefined, {})).toEqual([]);
  });

  it('refuses a login: dnf.conf is world-readable', () => {
    expect(() => dnf.packageProxy(resolveHostProxy(WITH_LOGIN, 0, [], env), {})).toThrow(
      expect.objectContaining({ code: 'EPROXY' }),
    );
  });

  it('never reads dnf.conf or /etc/sysconfig/proxy with the facts (an operator login may be in them)', () => {
    expect(MANAGED_FILES).not.toContain(DNF_CONF);
    expect(MANAGED_FILES).not.toContain(ZYPPER_PROXY_FILE);
    expect(MANAGED_FILES).toContain(PACKAGE_PROXY_MARK);
  });
});

describe("zypper: SUSE's /etc/sysconfig/proxy", () => {
  const zypper = configurerFor(SLES_15);

  it('writes the file whole, and disables it (only when eectl wrote it) when the proxy goes', () => {
    const steps = zypper.packageProxy(resolveHostProxy(PLAIN, 0, [], {}), {});
    const [file, mark] = uploads(steps);
    expect(file?.path).toBe(ZYPPER_PROXY_FILE);
    expect(file?.content).toContain('PROXY_ENABLED="yes"\nHTTP_PROXY="http://proxy.corp:3128"\n');
    expect(file?.content).toMatch(/^NO_PROXY="localhost, 127\.0\.0\.1, .*\.corp\.internal"$/m);
    expect(mark).toMatchObject({ path: PACKAGE_PROXY_MARK, content: file!.content });
    expect(
      zypper.packageProxy(resolveHostProxy(PLAIN, 0, [], {}), { [PACKAGE_PROXY_MARK]: file!.content }),
    ).toEqual([]);
    const off = zypper.packageProxy(undefined, { [PACKAGE_PROXY_MARK]: file!.content });
    expect(uploads(off)[0]?.content).toContain('PROXY_ENABLED="no"');
    expect(commands(off)).toEqual([['rm', '-f', PACKAGE_PROXY_MARK]]);
    expect(zypper.packageProxy(undefined, {})).toEqual([]);
  });

  it('refuses a login', () => {
    expect(() => zypper.packageProxy(resolveHostProxy(WITH_LOGIN, 0, [], env), {})).toThrow(
      expect.objectContaining({ code: 'EPROXY' }),
    );
  });
});
