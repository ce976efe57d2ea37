import { describe, expect, it } from 'vitest';
import { certManifest, crtList, haproxyConfig } from '../../../src/lib/ingress/haproxy-config.js';
import { routingTable, type ServiceForRouting } from '../../../src/lib/ingress/routes.js';

const services: ServiceForRouting[] = [
  {
    ID: 'a1',
    CreatedAt: '1',
    Spec: { Name: 'web', Labels: { 'eectl.http.host': 'app.example.org', 'eectl.http.port': '8000' } },
  },
  {
    ID: 'b2',
    CreatedAt: '2',
    Spec: {
      Name: 'api',
      Labels: {
        'eectl.http.host': 'app.example.org',
        'eectl.http.path': '/api',
        'eectl.http.port': '9000',
        'eectl.http.tls': 'c,k',
        'eectl.http.redirect-https': 'true',
        'eectl.http.sticky': 'SRV',
      },
    },
  },
];
const table = routingTable(services);

describe('the HAProxy configuration', () => {
  const cfg = haproxyConfig(table.routes);

  it('reaches tasks by DNS (tasks.<service>) through the embedded DNS, never a VIP', () => {
    expect(cfg).toContain('  nameserver engine 127.0.0.11:53');
    expect(cfg).toContain('  server-template task 16 tasks.web:8000');
    expect(cfg).toContain('  server-template task 16 tasks.api:9000');
    expect(cfg).toMatch(/default-server init-addr last,none check .* resolvers docker/);
  });

  it('loads no address while a configuration loads: a reloaded worker starts with the saved ones', () => {
    // libc lookups at load time held reloads on a loaded machine; the run script saves the state instead.
    expect(cfg).not.toContain('libc');
    expect(cfg).toContain('  server-state-file /tmp/eectl-ingress/servers.state');
    expect(cfg).toContain('  load-server-state-from-file global');
    // The socket the run script reads the state and the worker's pid from: loopback, read-only.
    expect(cfg).toContain('  stats socket ipv4@127.0.0.1:8405 level user');
    expect(cfg.match(/stats socket/g)).toHaveLength(2);
  });

  it("names a route's backend by service and port, so a route added before it keeps its saved state", () => {
    const more = routingTable([
      ...services,
      {
        ID: 'c3',
        CreatedAt: '3',
        Spec: {
          Name: 'aaa',
          Labels: {
            'eectl.http.host': 'a.example.org',
            'eectl.http.path': '/long/path',
            'eectl.http.port': '80',
          },
        },
      },
    ]);
    const next = haproxyConfig(more.routes);
    expect(next.indexOf('backend be_aaa_80')).toBeLessThan(next.indexOf('backend be_api_9000'));
    for (const backend of ['backend be_web_8000', 'backend be_api_9000']) {
      expect(cfg).toContain(backend);
      expect(next).toContain(backend);
    }
  });

  it('matches the longer path first, as a path prefix', () => {
    const api = cfg.indexOf('use_backend be_api_9000');
    const web = cfg.indexOf('use_backend be_web_8000');
    expect(api).toBeGreaterThan(0);
    expect(web).toBeGreaterThan(api);
    expect(cfg).toContain(
      'use_backend be_api_9000 if { var(txn.host) -m str app.example.org } { path -m str /api } || { var(txn.host) -m str app.example.org } { path -m beg /api/ }',
    );
  });

  it('terminates TLS from a crt-list, redirects plain HTTP, and sets the sticky cookie', () => {
    expect(cfg).toContain('bind :8443 ssl crt-list /run/eectl-ingress/crt-list.txt');
    expect(cfg).toMatch(/http-request redirect scheme https code 301 if !\{ ssl_fc \} \{ var\(txn.host\)/);
    expect(cfg).toContain('cookie SRV insert indirect nocache dynamic');
    expect(crtList(table.routes)).toContain('/run/eectl-ingress/certs/c+k.pem app.example.org\n');
    expect(certManifest(table.routes)).toContain('c+k.pem c k\n');
  });

  it('answers 404 for an unknown host, and binds no TLS port without certificates', () => {
    const empty = haproxyConfig([]);
    expect(empty).toContain('default_backend no_route');
    expect(empty).toContain('http-request return status 404');
    expect(empty).not.toContain(':8443');
    expect(crtList([])).not.toBe('');
    expect(certManifest([])).not.toBe('');
  });

  it('is the same text for the same routes', () => {
    expect(haproxyConfig(table.routes)).toBe(cfg);
  });
});
