/**
 * Reading request bodies as the engine reads them. Go's encoding/json matches struct fields without
 * regard to case, with Unicode folding (ſ is s, the Kelvin sign is k), and takes the last of duplicates:
 * `{"hostconfig":{"privileged":true}}` is a privileged container. A body that names one field twice in
 * different spellings is refused, because JSON.parse cannot tell which one Go would keep.
 */

/** A body the policy cannot read the way the engine would. */
export class AmbiguousBodyError extends Error {}

const fold = (key: string): string =>
  key
    .replace(/\u017f/g, 's')
    .replace(/\u212a/g, 'k')
    .toLowerCase();

/** An object's field as Go would decode it into a struct; undefined when absent or not an object. */
export function field(value: unknown, name: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const wanted = fold(name);
  const matches = Object.keys(value).filter((k) => fold(k) === wanted);
  if (matches.length > 1) {
    throw new AmbiguousBodyError(`the body names ${name} more than once (${matches.join(', ')})`);
  }
  return matches.length === 1 ? (value as Record<string, unknown>)[matches[0]!] : undefined;
}

/** A nested field: path(body, 'TaskTemplate', 'ContainerSpec'). */
export function path(value: unknown, ...names: string[]): unknown {
  return names.reduce((v, n) => field(v, n), value);
}

/** A JSON array field as a list (absent or not an array: empty). */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string-keyed map (labels, driver options): keys are exact in Go maps, so no folding here. */
export function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');
