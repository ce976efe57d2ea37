import type { ClusterConfig } from '../config/schema.js';

/** How the registry and the token service agree on token authentication (`registry.auth.token`). */
export interface TokenAuthSettings {
  /** Where clients get tokens: the file's realm, else the first manager's token service. */
  realm: string;
  /** The registry's name in its challenge and the tokens' audience. */
  service: string;
  /** The tokens' issuer. */
  issuer: string;
  port: number;
  expirySeconds: number;
}

/** The `service` a mirror names in its challenge: its tokens are good for it alone, not for the registry. */
export const mirrorTokenService = (cluster: string, mirror: string): string =>
  `eectl-${cluster}-mirror-${mirror}`;

/** The settings of token authentication, or undefined when the registry uses htpasswd. */
export function tokenAuthSettings(config: ClusterConfig): TokenAuthSettings | undefined {
  const token = config.spec.registry.auth?.token;
  if (!token) return undefined;
  const cluster = config.metadata.name;
  const first = config.spec.hosts.find((h) => h.role === 'manager');
  const host = first ? (first.address.includes(':') ? `[${first.address}]` : first.address) : 'localhost';
  return {
    realm: token.realm ?? `https://${host}:${token.port}/token`,
    service: `eectl-${cluster}-registry`,
    issuer: `eectl-${cluster}-token-service`,
    port: token.port,
    expirySeconds: token.expirySeconds,
  };
}
