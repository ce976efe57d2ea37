import { describe, expect, it } from 'vitest';
import { certManifest, crtList, haproxyConfig } from '../../../src/lib/ingress/haproxy-config.js';
import { routingTable } from '../../../src/lib/ingress/routes.js';

const table = routingTable([
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
]);

describe('the HAProxy configuration', () => {
  const cfg = haproxyConfig(table.routes);

  it('reaches tasks by DNS (tasks.<service>) through the embedded DNS, never a VIP', () => {
    expect(cfg).toContain('  nameserver engine 127.0.0.11:53');
    expect(cfg).toContain('  server-template task 16 tasks.web:8000');
    expect(cfg).toContain('  server-template task 16 tasks.api:9000');
    expect(cfg).toMatch(/default-server init-addr libc,none check .* resolvers docker/);
  });

  it('matches the longer path first, as a path prefix', () => {
    const api = cfg.indexOf('use_backend route0_api');
    const web = cfg.indexOf('use_backend route1_web');
    expect(api).toBeGreaterThan(0);
    expect(web).toBeGreaterThan(api);
    expect(cfg).toContain(
      'use_backend route0_api if { var(txn.host) -m str app.example.org } { path -m str /api } || { var(txn.host) -m str app.example.org } { path -m beg /api/ }',
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
