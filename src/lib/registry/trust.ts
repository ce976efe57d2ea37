import { externalEndpoint } from '../images/cluster-policy.js';
import type { RegistrySpec } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { ServerNames } from '../pki/certificates.js';
import { serverNames } from '../pki/inspect.js';
import { certsDCaFile } from '../host-layout.js';

/** Every name a registry host is known by: the file's address, the advertise address, its hostname. */
function hostNames(host: Host): string[] {
  return [host.spec.address, host.advertiseAddress, host.facts?.hostname ?? ''].filter((n) => n !== '');
}

/**
 * The `host:port` names clients use to reach a replica (each registry host by each of its names) and
 * the external URL: an engine trusts a registry by the exact name in the image reference, so each one
 * gets its own certs.d directory.
 */
export function registryEndpoints(registryHosts: readonly Host[], spec: RegistrySpec): string[] {
  const endpoints = registryHosts.flatMap((h) => hostNames(h).map((n) => `${n.toLowerCase()}:${spec.port}`));
  const external = externalEndpoint(spec.externalUrl);
  return [
    ...new Set([...endpoints, ...(external ? [external] : []), ...mirrorEndpoints(registryHosts, spec)]),
  ];
}

/**
 * The `host:port` names of the mirrors: each registry host by each of its names on each mirror's port, and
 * the external URL's host on it (a load balancer that forwards the mirror's port too).
 */
export function mirrorEndpoints(registryHosts: readonly Host[], spec: RegistrySpec): string[] {
  const external = spec.externalUrl ? new URL(`https://${externalEndpoint(spec.externalUrl)}`).hostname : '';
  const names = [
    ...registryHosts.flatMap((h) => hostNames(h).map((n) => n.toLowerCase())),
    ...(external ? [external] : []),
  ];
  return [...new Set(spec.mirrors.flatMap((m) => names.map((n) => `${n}:${m.port}`)))];
}

/** The certs.d CA files every node of the cluster needs, one per endpoint. */
export function trustFiles(registryHosts: readonly Host[], spec: RegistrySpec): string[] {
  return registryEndpoints(registryHosts, spec).map(certsDCaFile);
}

/** The names the replicas' one server certificate covers: every registry host and the external URL. */
export function registryCertNames(registryHosts: readonly Host[], spec: RegistrySpec): ServerNames {
  const names = registryHosts.flatMap((h) => [...hostNames(h), ...(h.facts?.addresses ?? [])]);
  const external = spec.externalUrl ? new URL(`https://${externalEndpoint(spec.externalUrl)}`).hostname : '';
  const [first = 'eectl-registry'] = registryHosts.map((h) => h.facts?.hostname ?? h.name);
  return serverNames(first, names, external ? [external] : []);
}
