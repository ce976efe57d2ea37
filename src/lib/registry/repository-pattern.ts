/**
 * Repository patterns (`team/*`, `team/**`, `web/app`): the one matcher retention (retention.ts) and the
 * immutable-tag gate (gate-rules.ts) share. It imports nothing: the gate's modules run on the registry
 * hosts with node: built-ins only.
 */

/**
 * Wildcard match of `text` against `pattern` (`*` any run, `?` one character) without regular expressions:
 * the usual greedy match with one backtrack point, O(len(text) × len(pattern)) whatever the pattern.
 */
export function wildcardMatch(pattern: string, text: string, any = '*', one = '?'): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === one || (pattern[p] === text[t] && pattern[p] !== any))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === any) {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === any) p++;
  return p === pattern.length;
}

/** Whether a repository pattern names `repository`: `*` within one path segment, `**` any segments. */
export function repositoryMatches(pattern: string, repository: string): boolean {
  const want = pattern.split('/');
  const have = repository.split('/');
  const match = (i: number, j: number): boolean => {
    if (i === want.length) return j === have.length;
    if (want[i] === '**') {
      for (let k = j; k <= have.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    // `?` is no wildcard here: not a repository character, and the schema refuses it.
    return j < have.length && wildcardMatch(want[i]!, have[j]!, '*', '\u0000') && match(i + 1, j + 1);
  };
  return match(0, 0);
}
