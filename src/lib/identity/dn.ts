/**
 * Distinguished names compared as a directory compares them, kept simple (RFC 4514 syntax, RFC 4518
 * matching of the usual attributes): attribute types without regard to case, values with their escapes
 * undone (`\,`, `\2C`), outer spaces dropped, inner runs of spaces made one, and without regard to case,
 * which is how cn, ou, dc, o and uid are matched (caseIgnoreMatch); the AVAs of a multi-valued RDN
 * (`cn=a+uid=b`) in any order. Not done: OIDs for names (`2.5.4.3=web`), `#` hex values, case-sensitive
 * attributes. A DN that cannot be read equals nothing.
 */
export function normalizeDn(dn: string): string | undefined {
  const rdns = splitUnescaped(dn.trim(), ',');
  if (!rdns || rdns.length === 0) return undefined;
  const out: string[] = [];
  for (const rdn of rdns) {
    const avas = splitUnescaped(rdn, '+');
    if (!avas) return undefined;
    const normalized: string[] = [];
    for (const ava of avas) {
      const eq = ava.indexOf('=');
      if (eq <= 0) return undefined;
      const type = ava.slice(0, eq).trim().toLowerCase();
      if (!/^[a-z][a-z0-9-]*$|^[0-9]+(\.[0-9]+)*$/.test(type)) return undefined;
      const value = unescapeValue(ava.slice(eq + 1));
      if (value === undefined) return undefined;
      normalized.push(`${type}=${escapeCanonical(value.trim().replace(/\s+/g, ' ').toLowerCase())}`);
    }
    out.push(normalized.sort().join('+'));
  }
  return out.join(',');
}

/** Two DNs name the same entry (see `normalizeDn`); an unreadable DN is equal to none. */
export function sameDn(a: string, b: string): boolean {
  const x = normalizeDn(a);
  return x !== undefined && x === normalizeDn(b);
}

/** Splits on `sep` where it is not escaped by a backslash; undefined when the text ends in a lone backslash. */
function splitUnescaped(text: string, sep: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      if (i + 1 >= text.length) return undefined;
      current += c + text[i + 1]!;
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** A value with its escapes undone: `\` and a special character, or `\` and two hex digits (UTF-8 bytes). */
function unescapeValue(raw: string): string | undefined {
  // Unescaped outer spaces are not part of the value; escaped ones are (kept by trimming only these).
  const text = raw.replace(/^ +/, '').replace(/(?<!\\) +$/, '');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (i + 1 < text.length) {
      bytes.push(...Buffer.from(text[i + 1]!, 'utf8'));
      i += 1;
    } else return undefined;
  }
  const value = Buffer.from(bytes).toString('utf8');
  return value.includes('\uFFFD') ? undefined : value;
}

/** One written form per value, so equal values give equal strings and different ones different strings. */
function escapeCanonical(value: string): string {
  return value.replace(/[\\,+=]/g, (c) => `\\${c}`);
}
