import type { Host } from '../host/host.js';
import { addSecret } from '../util/redact.js';
import { REGISTRY_STATE_FILES } from '../host-layout.js';

/** The registry's files on one manager (path → content; a missing path is a missing file). */
export type RegistryState = Map<string, string>;

/** Prints each existing file as `path base64` on one line: every state file in one round trip. */
const READ_SCRIPT =
  'for f in "$@"; do [ -f "$f" ] && printf "%s %s\\n" "$f" "$(base64 -w0 "$f")"; done; exit 0';

/** Reads the registry's state files from a manager as root; every value but the certificate is a secret. */
export async function readRegistryState(host: Host): Promise<RegistryState> {
  // The output is the secrets themselves (base64): it is never logged, whatever redaction would catch.
  const { stdout } = await host.sudo(
    ['sh', '-c', READ_SCRIPT, 'eectl-registry-state', ...REGISTRY_STATE_FILES],
    {
      secretOutput: true,
    },
  );
  const state: RegistryState = new Map();
  for (const line of stdout.split('\n')) {
    const [path, b64] = line.split(' ');
    if (!path || b64 === undefined) continue;
    const text = Buffer.from(b64, 'base64').toString('utf8');
    if (!path.endsWith('-cert.pem')) addSecret(text.trim());
    state.set(path, text);
  }
  return state;
}
