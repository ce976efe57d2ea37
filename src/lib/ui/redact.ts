/**
 * Secrets known to this process (join tokens, passwords, key passphrases). Everything that is logged or
 * shown in an error goes through `redact()`, so a secret registered once never reaches a log file.
 */
const secrets = new Set<string>();
export const REDACTED = '[REDACTED]';

/** Registers a secret; values shorter than 4 characters are ignored (they would redact ordinary words). */
export function addSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  // Patterns that are secret whatever their value: swarm join tokens, PEM private keys.
  out = out.replace(/SWMTKN-1-[0-9a-z-]+/gi, REDACTED);
  out = out.replace(
    /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g,
    `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`,
  );
  return out;
}

/** For tests only. */
export function clearSecrets(): void {
  secrets.clear();
}
