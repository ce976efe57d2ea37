/**
 * Names and places of the registry's webhook relay, shared by install, status and the relay itself. The
 * relay runs on every registry host under systemd, next to the replica whose deliveries it signs.
 */

/** The relay's Node.js runtime and modules (the folders they have under dist/lib). */
export const RELAY_DIR = '/opt/eectl/webhooks';
export const RELAY_NODE = `${RELAY_DIR}/node`;
export const RELAY_ENTRY = `${RELAY_DIR}/webhooks/relay.js`;
export const RELAY_MANIFEST = `${RELAY_DIR}/manifest.json`;
/** The system user the relay runs as: it reads its settings (with the secrets) and writes its counters. */
export const RELAY_USER = 'eectl-webhooks';
/** Its settings (endpoints, signing secrets, the registry's token): 0600, the relay user's. */
export const RELAY_SETTINGS_DIR = '/etc/eectl/webhooks';
export const RELAY_SETTINGS = `${RELAY_SETTINGS_DIR}/relay.json`;
/** Its delivery counters, per endpoint (systemd's StateDirectory, so the relay user may write it). */
export const RELAY_STATE_DIR = '/var/lib/eectl/webhooks';
export const RELAY_STATE = `${RELAY_STATE_DIR}/status.json`;
/**
 * The name a replica reaches its own host's relay by: the service maps it to the engine's host-gateway
 * address (`--host NAME:host-gateway`), so one config serves every replica.
 */
export const RELAY_HOSTNAME = 'eectl-webhook-relay';
/** The header a receiver checks: GitHub's convention, an HMAC-SHA256 of the raw body in hex. */
export const SIGNATURE_HEADER = 'X-Hub-Signature-256';
