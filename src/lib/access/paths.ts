/** Names and constants of the authorization plugin; where its files live on a manager is in host-layout.ts. */

/** Client certificates start this long before they were issued (pki/certificates.ts backdates them). */
export const CERT_BACKDATE_MS = 5 * 60_000;
/**
 * The registry account the plugin reads signatures with: the registry's admin, whose password install
 * keeps root-only (0600) on every manager (REGISTRY_PASSWORD_FILE in host-layout.ts). The registry's
 * htpasswd has no read-only users: any account could push, so a second one would add a secret to rotate and
 * no protection.
 */
export const REGISTRY_READER = 'admin';

/** The subject of the tokens the plugin mints for itself to read signatures. */
export const PLUGIN_REGISTRY_ACCOUNT = 'eectl-authz';
