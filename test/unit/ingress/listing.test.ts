import { describe, expect, it } from 'vitest';
import { certManifest, crtList, haproxyConfig } from '../../../src/lib/ingress/haproxy-config.js';
import { ingressListing } from '../../../src/lib/ingress/listing.js';
import { ingressObjectName } from '../../../src/lib/ingress/names.js';
import { routingTable, type ServiceForRouting } from '../../../src/lib/ingress/routes.js';
import { renderIngressList } from '../../../src/lib/ui/ingress-render.js';

const services: ServiceForRouting[] = [
  {
    ID: 'a',
    CreatedAt: '1',
    Spec: {
      Name: 'web',
      Labels: { 'eectl.http.host': 'a.example.org,b.example.org', 'eectl.http.port': '80' },
    },
  },
  {
    ID: 'b',
    CreatedAt: '2',
    Spec: {
      Name: 'other',
      Labels: {
        'eectl.http.host': 'a.example.org',
        'eectl.http.port': '80',
        'eectl.collection': '/Shared/b',
      },
    },
  },
];
const counts = [
  { id: 'a', name: 'web', mode: 'replicated', running: 2, desired: 3 },
  { id: 'p', name: 'eectl-ingress', mode: 'global', running: 2, desired: 2 },
];

describe('eectl ingress ls', () => {
  it('lists each host of a route with its backends, and the refused claim with its reason', () => {
    const listing = ingressListing(services, counts, []);
    expect(listing.routes.map((r) => [r.host, r.path, r.service, r.tls, r.backends])).toEqual([
      ['a.example.org', '/', 'web', 'no', { running: 2, desired: 3 }],
      ['b.example.org', '/', 'web', 'no', { running: 2, desired: 3 }],
    ]);
    expect(listing.refused).toEqual([
      {
        service: 'other',
        hosts: ['a.example.org'],
        reason: 'host a.example.org is claimed by service web of collection /Shared',
      },
    ]);
    expect(listing.proxies).toEqual({ running: 2, desired: 2 });
    expect(listing.applied).toBe(false);
    const text = renderIngressList(listing);
    expect(text).toContain('a.example.org');
    expect(text).toContain('Refused:');
    expect(text).toContain('claimed by service web');
  });

  it('says the routes are applied when the sync service carries their configuration', () => {
    const { routes } = routingTable(services);
    const sync = {
      ID: 's',
      Spec: {
        Name: 'eectl-ingress-sync',
        TaskTemplate: {
          ContainerSpec: {
            Configs: [
              { ConfigName: ingressObjectName('cfg', haproxyConfig(routes)) },
              { ConfigName: ingressObjectName('crt', crtList(routes)) },
              { ConfigName: ingressObjectName('certs', certManifest(routes)) },
            ],
          },
        },
      },
    };
    expect(ingressListing([...services, sync], counts, []).applied).toBe(true);
  });
});
