import type { IngressListing } from '../ingress/listing.js';

/** What `ingress ls` reports: the routes, the refused claims and the proxies, and the manager that answered. */
export type IngressListResult = IngressListing & { cluster: string; contact: string };
