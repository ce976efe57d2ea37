/** The candidate a mistyped word was most likely meant to be, or undefined when none is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Case and separators are the commonest slips (KeyPath, key_path, key-path for keyPath): ignore them.
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const target = norm(word);
  const limit = target.length <= 4 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const other = norm(candidate);
    // A cut-off name (password for passwordEnv, secretKey for secretKeyEnv) is one slip, however long the rest.
    const prefix =
      Math.min(target.length, other.length) >= 4 && (other.startsWith(target) || target.startsWith(other));
    const distance = prefix ? 1 : editDistance(target, other);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance, counting a swap of two neighbours (adress/addres, raod/road) as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}
