/**
 * The package managers' own version orderings. Package versions are not semver: they carry epochs (`5:`),
 * revisions (`-1~debian.12~bookworm`, `-1.el9`), `~` that sorts before the empty string, `+dfsg1`, and
 * Docker's old zero-padded `18.09`. Picking "the newest" must agree with what apt or dnf would install, so
 * these follow dpkg's `verrevcmp` and rpm's `rpmvercmp` rather than semver.
 */

/** dpkg's character weight: `~` before everything (even the end), letters before other symbols. */
function debOrder(c: string | undefined): number {
  if (c === undefined || (c >= '0' && c <= '9')) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** dpkg's `verrevcmp` on one part (upstream version or revision). */
function debComparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = debOrder(a[i]) - debOrder(b[j]);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Splits `[epoch:]version[-release]` at the first colon and the last hyphen, as dpkg and rpm both do. */
export function splitEvr(v: string): { epoch: number; version: string; release: string } {
  const colon = v.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(v.slice(0, colon)) ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const hyphen = rest.lastIndexOf('-');
  return hyphen < 0
    ? { epoch, version: rest, release: '' }
    : { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

/** Orders Debian package versions as dpkg does (negative: a is older). */
export function compareDebVersions(a: string, b: string): number {
  const x = splitEvr(a);
  const y = splitEvr(b);
  return Math.sign(
    x.epoch - y.epoch || debComparePart(x.version, y.version) || debComparePart(x.release, y.release),
  );
}

/** rpm's `rpmvercmp` on one part: alternating digit and letter segments, `~` older and `^` newer. */
function rpmComparePart(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const separator = /[^A-Za-z0-9~^]/;
  for (;;) {
    while (i < a.length && separator.test(a[i] ?? '')) i++;
    while (j < b.length && separator.test(b[j] ?? '')) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const segment = numeric ? /^\d+/ : /^[A-Za-z]+/;
    const sa = segment.exec(a.slice(i))?.[0] ?? '';
    const sb = segment.exec(b.slice(j))?.[0] ?? '';
    // A numeric segment is newer than an alphabetic one in the same place.
    if (sb === '') return numeric ? 1 : -1;
    i += sa.length;
    j += sb.length;
    if (numeric) {
      const na = sa.replace(/^0+/, '');
      const nb = sb.replace(/^0+/, '');
      if (na.length !== nb.length) return na.length > nb.length ? 1 : -1;
      if (na !== nb) return na > nb ? 1 : -1;
    } else if (sa !== sb) {
      return sa > sb ? 1 : -1;
    }
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** Orders rpm EVRs (`3:26.1.4-1.el9`) as rpm does; a missing epoch is 0. */
export function compareRpmVersions(a: string, b: string): number {
  const x = splitEvr(a);
  const y = splitEvr(b);
  return Math.sign(
    x.epoch - y.epoch || rpmComparePart(x.version, y.version) || rpmComparePart(x.release, y.release),
  );
}
