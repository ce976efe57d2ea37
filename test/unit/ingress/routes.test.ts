import { describe, expect, it } from 'vitest';
import { routingTable, type ServiceForRouting } from '../../../src/lib/ingress/routes.js';

let n = 0;
const service = (name: string, labels: Record<string, string>, createdAt?: string): ServiceForRouting => ({
  ID: `id-${name}`,
  CreatedAt: createdAt ?? `2026-12-06T00:00:${String(n++).padStart(2, '0')}Z`,
  Spec: { Name: name, Labels: labels },
});
const web = (name: string, host: string, more: Record<string, string> = {}) =>
  service(name, { 'eectl.http.host': host, 'eectl.http.port': '8080', ...more });

describe('routes from eectl.http.* labels', () => {
  it('reads hosts, port, path, TLS, redirect and sticky', () => {
    const { routes, refused } = routingTable([
      web('app', 'app.example.org, www.example.org', {
        'eectl.http.path': '/api/',
        'eectl.http.tls': 'app-cert,app-key',
        'eectl.http.redirect-https': 'true',
        'eectl.http.sticky': 'SRV',
      }),
    ]);
    expect(refused).toEqual([]);
    expect(routes).toEqual([
      expect.objectContaining({
        service: 'app',
        hosts: ['app.example.org', 'www.example.org'],
        port: 8080,
        path: '/api',
        tls: { cert: 'app-cert', key: 'app-key' },
        redirectHttps: true,
        stickyCookie: 'SRV',
        collection: '/Shared',
        source: 'eectl',
      }),
    ]);
  });

  it('ignores services without routing labels', () => {
    expect(routingTable([service('db', { other: 'x' })])).toEqual({ routes: [], refused: [] });
  });

  it.each([
    [
      'a newline and a config line',
      { 'eectl.http.host': 'a.example.org\nbackend evil' },
      /is not a host name/,
    ],
    ['a space', { 'eectl.http.host': 'a.example.org b' }, /is not a host name/],
    ['upper case', { 'eectl.http.host': 'A.example.org' }, /is not a host name/],
    ['a wildcard', { 'eectl.http.host': '*.example.org' }, /is not a host name/],
    ['a port in the host', { 'eectl.http.host': 'a.example.org:80' }, /is not a host name/],
    ['a quote in the path', { 'eectl.http.path': '/a"b' }, /is not a path prefix/],
    ['a # in the path', { 'eectl.http.path': '/a#b' }, /is not a path prefix/],
    ['a % in the path', { 'eectl.http.path': '/a%0ab' }, /is not a path prefix/],
    ['a .. in the path', { 'eectl.http.path': '/a/../b' }, /has a \. or \.\. part/],
    ['a path without /', { 'eectl.http.path': 'api' }, /is not a path prefix/],
    ['port 0', { 'eectl.http.port': '0' }, /is not a port/],
    ['port 70000', { 'eectl.http.port': '70000' }, /is not a port/],
    ['port with a sign', { 'eectl.http.port': '+80' }, /is not a port/],
    ['a cookie with ;', { 'eectl.http.sticky': 'a;b' }, /is not allowed/],
    ['one TLS secret', { 'eectl.http.tls': 'only-cert' }, /must name two swarm secrets/],
    ['a TLS secret with a slash', { 'eectl.http.tls': '../x,key' }, /is not allowed/],
    ['redirect not a boolean', { 'eectl.http.redirect-https': 'yes' }, /is not allowed/],
    ['an unknown eectl label', { 'eectl.http.backend': 'x' }, /unknown label eectl\.http\.backend/],
    ['a collection with a newline', { 'eectl.collection': '/Shared\nx' }, /collection .* is not allowed/],
  ])('refuses %s, with the reason', (_what, bad, reason) => {
    const { routes, refused } = routingTable([
      service('svc', { 'eectl.http.host': 'ok.example.org', 'eectl.http.port': '80', ...bad }),
    ]);
    expect(routes).toEqual([]);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatch(reason);
  });

  it('refuses a missing port or host', () => {
    expect(routingTable([service('a', { 'eectl.http.host': 'a.example.org' })]).refused[0]!.reason).toMatch(
      /eectl\.http\.port is missing/,
    );
    expect(routingTable([service('a', { 'eectl.http.port': '80' })]).refused[0]!.reason).toMatch(
      /eectl\.http\.host is missing/,
    );
  });

  it('refuses TLS naming a secret that does not exist', () => {
    const table = routingTable([web('a', 'a.example.org', { 'eectl.http.tls': 'c,k' })], (s) => s === 'c');
    expect(table.refused[0]!.reason).toBe('TLS secret k does not exist');
  });
});

describe('host claims between teams', () => {
  it('keeps a host for the collection that claimed it first, whatever the order of the list', () => {
    const first = web('first', 'app.example.org', { 'eectl.collection': '/Shared/team-a' });
    const second = web('second', 'app.example.org,b.example.org', { 'eectl.collection': '/Shared/team-b' });
    const table = routingTable([second, first]);
    expect(table.routes.map((r) => r.service)).toEqual(['first']);
    expect(table.refused).toEqual([
      {
        service: 'second',
        serviceId: 'id-second',
        hosts: ['app.example.org', 'b.example.org'],
        reason: 'host app.example.org is claimed by service first of collection /Shared/team-a',
      },
    ]);
  });

  it('lets one collection split a host by path, but not route the same host and path twice', () => {
    const table = routingTable([
      web('root', 'app.example.org'),
      web('api', 'app.example.org', { 'eectl.http.path': '/api' }),
      web('again', 'app.example.org', { 'eectl.http.path': '/api' }),
    ]);
    expect(table.routes.map((r) => r.service)).toEqual(['root', 'api']);
    expect(table.refused[0]!.reason).toBe('host app.example.org path /api is routed to service api already');
  });
});

describe("Interlock's com.docker.lb.* labels", () => {
  it('reads a UCP stack service unchanged', () => {
    const { routes, refused } = routingTable([
      service('shop_web', {
        'com.docker.lb.hosts': 'shop.example.org',
        'com.docker.lb.port': '80',
        'com.docker.lb.context_root': '/shop',
        'com.docker.lb.ssl_cert': 'shop.crt',
        'com.docker.lb.ssl_key': 'shop.key',
        'com.docker.lb.ssl_only': 'true',
        'com.docker.lb.sticky_session_cookie': 'session',
        'com.docker.lb.network': 'shop_net',
        'com.docker.lb.websocket_endpoints': '/ws',
      }),
    ]);
    expect(refused).toEqual([]);
    expect(routes[0]).toMatchObject({
      hosts: ['shop.example.org'],
      port: 80,
      path: '/shop',
      tls: { cert: 'shop.crt', key: 'shop.key' },
      redirectHttps: true,
      stickyCookie: 'session',
      source: 'interlock',
    });
    expect(routes[0]!.notes).toEqual([
      'com.docker.lb.websocket_endpoints is not supported and has no effect',
      'com.docker.lb.network is ignored: the proxies use spec.ingress.network',
    ]);
  });

  it('refuses an unknown com.docker.lb label, a cert without its key, and mixing the two families', () => {
    const base = { 'com.docker.lb.hosts': 'a.example.org', 'com.docker.lb.port': '80' };
    expect(routingTable([service('a', { ...base, 'com.docker.lb.evil': 'x' })]).refused[0]!.reason).toMatch(
      /unknown label com\.docker\.lb\.evil/,
    );
    expect(
      routingTable([service('a', { ...base, 'com.docker.lb.ssl_cert': 'c' })]).refused[0]!.reason,
    ).toMatch(/go together/);
    expect(
      routingTable([service('a', { ...base, 'eectl.http.host': 'a.example.org' })]).refused[0]!.reason,
    ).toMatch(/use one family/);
  });
});
