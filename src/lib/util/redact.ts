/**
 * Secrets known to this process (join tokens, passwords, keys). Everything that is logged or shown in an
 * error goes through `redact()`, so a secret registered once never reaches a log file, raw or encoded.
 * This is the second line of defence: output that carries secrets is not logged at all (`secretOutput`).
 */
const secrets = new Set<string>();
/** Every form a registered secret may take in text, longest first (see `forms`). */
let patterns: string[] = [];
export const REDACTED = '[REDACTED]';

/** Shorter than this, a form of a secret would redact ordinary words. */
const MIN_FORM = 4;
/** Lines of a multi-line secret (a PEM key, an htpasswd file) shorter than this are not secret alone. */
const MIN_LINE = 8;

/** Registers a secret; values shorter than 4 characters are ignored (they would redact ordinary words). */
export function addSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_FORM || secrets.has(value)) return;
  secrets.add(value);
  const all = new Set(patterns);
  for (const form of forms(value)) if (form.length >= MIN_FORM) all.add(form);
  patterns = [...all].sort((a, b) => b.length - a.length);
}

/**
 * The forms a secret takes in text: itself; each line of it (logs are written line by line, so a key
 * printed by `cat` arrives one line at a time); its hex and URL encodings; and its base64 and base64url at
 * each of the three byte alignments. A secret inside a larger file that is base64-encoded shows up as one
 * of those three runs of characters, minus the edge characters that also carry bits of its neighbours.
 */
export function forms(secret: string): string[] {
  const out = [secret];
  const lines = secret.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1) {
    out.push(...lines.filter((l) => l.length >= MIN_LINE && !/^-----(BEGIN|END) /.test(l)));
  }
  const bytes = Buffer.from(secret, 'utf8');
  out.push(bytes.toString('hex'), bytes.toString('hex').toUpperCase());
  const url = encodeURIComponent(secret);
  if (url !== secret) out.push(url);
  out.push(...base64Runs(bytes));
  return out;
}

/** The base64 (and base64url) characters that depend on `bytes` alone, at offsets 0, 1 and 2 mod 3. */
function base64Runs(bytes: Buffer): string[] {
  const runs: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Character i holds bits 6i..6i+5 of the padded input; keep those inside the secret's bits.
    const first = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const run = encoded.slice(first, end);
    runs.push(run, run.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return runs;
}

export function redact(text: string): string {
  let out = text;
  for (const form of patterns) {
    if (out.includes(form)) out = out.split(form).join(REDACTED);
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
  patterns = [];
}

/**
 * What of the known secrets is still in `text` (a final scan after `redact`): one description per kind
 * found, never the secret itself. Empty when the text is clean.
 */
export function secretsLeftIn(text: string): string[] {
  const found: string[] = [];
  const forms = patterns.filter((form) => text.includes(form));
  if (forms.length > 0) found.push(`${forms.length} form(s) of registered secrets`);
  if (/SWMTKN-1-[0-9a-z]/i.test(text)) found.push('a swarm join token');
  // A whole block with its body still there (a BEGIN line alone, from a cut log, holds nothing).
  if (/-----BEGIN ([A-Z ]*)PRIVATE KEY-----(?!\[REDACTED\])[\s\S]*?-----END \1PRIVATE KEY-----/.test(text))
    found.push('a private key');
  return found;
}
