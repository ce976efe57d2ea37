import { describe, expect, it } from 'vitest';
import { noProxyProblem, parseProxyUrl, proxyUrlProblem } from '../../../src/lib/config/proxy-url.js';
import { HEAD, lines, THREE_MANAGERS } from './helpers.js';

describe('proxy URLs: only what is known safe', () => {
  it.each([
    ['http://proxy.example.com:3128', 'http://proxy.example.com:3128'],
    ['http://10.0.0.5:8080/', 'http://10.0.0.5:8080'],
    ['https://proxy', 'https://proxy'],
    ['http://[fd00::5]:3128', 'http://[fd00::5]:3128'],
  ])('admits %s', (text, address) => {
    expect(parseProxyUrl(text, { credentials: false }).address).toBe(address);
  });

  it.each([
    ['a newline (a second line in the unit file)', 'http://proxy:3128\nExecStartPre=/bin/sh'],
    ['a space (a second assignment in Environment=)', 'http://proxy:3128 X=1'],
    ['a double quote', 'http://proxy:3128"'],
    ['a single quote', "http://proxy:3128'"],
    ['a semicolon (apt.conf)', 'http://proxy:3128";Dir "/tmp'],
    ['a backslash', 'http://proxy\\:3128'],
    ['a $ (systemd and shell expansion)', 'http://$HOST:3128'],
    ['a socks scheme', 'socks5://proxy:1080'],
    ['a path', 'http://proxy:3128/path'],
    ['a query', 'http://proxy:3128/?a=b'],
    ['a port out of range', 'http://proxy:70000'],
    ['no host', 'http://:3128'],
    ['a host name with an underscore', 'http://bad_host:3128'],
    ['a tab', 'http://proxy:3128\t'],
    ['a NUL', 'http://proxy:3128\u0000'],
  ])('refuses %s', (_why, text) => {
    expect(proxyUrlProblem(text, { credentials: true })).toBeDefined();
  });

  it('refuses a login in the file, pointing to urlEnv, and never repeats the URL', () => {
    const problem = proxyUrlProblem('http://alice:s3cret@proxy:3128', { credentials: false });
    expect(problem).toContain('urlEnv');
    expect(problem).not.toContain('s3cret');
  });

  it('reads a login from urlEnv: decoded, and the address without it', () => {
    const url = parseProxyUrl('http://alice:p%40ss-w0rd@proxy:3128', { credentials: true });
    expect(url).toMatchObject({ user: 'alice', password: 'p@ss-w0rd', address: 'http://proxy:3128' });
    expect(url.url).toBe('http://alice:p%40ss-w0rd@proxy:3128');
  });

  it.each([
    ['a space once decoded', 'http://alice:a%20b@proxy:3128'],
    ['a newline once decoded', 'http://alice:a%0Ab@proxy:3128'],
    ['a quote once decoded', 'http://alice:a%22b@proxy:3128'],
    ['a raw character outside the unreserved set', 'http://alice:a!b@proxy:3128'],
    ['a second colon', 'http://alice:a:b@proxy:3128'],
  ])('refuses a login with %s', (_why, text) => {
    expect(proxyUrlProblem(text, { credentials: true })).toBeDefined();
  });

  it.each(['example.com', '.example.com', '10.0.0.0/8', '10.1.2.3', 'fd00::/8', '*', 'localhost'])(
    'admits the noProxy entry %s',
    (entry) => expect(noProxyProblem(entry)).toBeUndefined(),
  );

  it.each(['a b', 'x,y', 'host"', '10.0.0.0/40', '*.example.com', 'a\nb', ''])(
    'refuses the noProxy entry %j',
    (entry) => expect(noProxyProblem(entry)).toBeDefined(),
  );
});

describe('spec.proxy in the cluster file', () => {
  it('reports a login in http on its line, with the way out', () => {
    const text = `${HEAD}${THREE_MANAGERS}  proxy:\n    http: http://bob:hunter22@proxy:3128\n`;
    const problems = lines(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cluster\.yaml:14:\d+: spec\.proxy\.http: .*urlEnv/);
    expect(problems[0]).not.toContain('hunter22');
  });

  it('refuses http and urlEnv together, and an empty proxy', () => {
    const both = `${HEAD}${THREE_MANAGERS}  proxy:\n    http: http://proxy:3128\n    urlEnv: PROXY_URL\n`;
    expect(lines(both).join('\n')).toContain('give http or urlEnv, not both');
    const empty = `${HEAD}${THREE_MANAGERS}  proxy: { noProxy: [example.com] }\n`;
    expect(lines(empty).join('\n')).toContain('give http, https or urlEnv');
  });

  it('takes a proxy per host and a hostile noProxy entry is refused', () => {
    const text = `${HEAD}  hosts:\n    - address: 10.0.0.1\n      role: manager\n      proxy: { http: 'http://proxy:3128', noProxy: ['a b'] }\n`;
    expect(lines(text).join('\n')).toMatch(/spec\.hosts\[0\]\.proxy\.noProxy\[0\]: must be a host name/);
  });
});
