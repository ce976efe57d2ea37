import type { IngressListing } from '../ingress/listing.js';
import { renderTable } from '../util/table.js';

/** `eectl ingress ls` for people: the routes, then the refused claims, then the proxies. */
export function renderIngressList(listing: IngressListing): string {
  const out: string[] = [];
  if (listing.routes.length === 0)
    out.push('No routes: no service carries eectl.http.host or com.docker.lb.hosts.');
  else {
    out.push(
      renderTable(
        ['HOST', 'PATH', 'SERVICE', 'COLLECTION', 'TLS', 'BACKENDS'],
        listing.routes.map((r) => [
          r.host,
          r.path,
          r.service,
          r.collection,
          r.tls,
          `${r.backends.running}/${r.backends.desired}`,
        ]),
      ),
    );
  }
  for (const r of listing.routes) for (const note of r.notes) out.push(`note: ${r.service}: ${note}`);
  if (listing.refused.length > 0) {
    out.push('', 'Refused:');
    out.push(
      renderTable(
        ['SERVICE', 'HOSTS', 'REASON'],
        listing.refused.map((r) => [r.service, r.hosts.join(','), r.reason]),
      ),
    );
  }
  out.push(
    '',
    `Proxies: ${listing.proxies.running}/${listing.proxies.desired} running` +
      (listing.applied ? '' : '; the proxies are being given this routing table (a few seconds)'),
  );
  return out.join('\n');
}
