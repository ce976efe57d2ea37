/**
 * Reading request bodies as the engine reads them, with Go's encoding/json:
 * - struct fields match keys without regard to case, by Unicode simple folding: for the engine's
 *   field names (all ASCII) that is ASCII case plus two non-ASCII letters, U+017F (ſ, folds to s) and
 *   U+212A (the Kelvin sign, folds to k). No other character folds to an ASCII letter;
 * - a key named twice is decoded twice into the same field, and a repeated object is merged into the
 *   first one's value: `{"HostConfig":{"Privileged":true},"HostConfig":{}}` is privileged to Go, while
 *   JSON.parse keeps only the last copy. So any key named twice, in any spelling, is refused;
 * - `null` leaves a field at its zero value, the same as an absent key;
 * - unknown keys are ignored (the allow-list refuses them instead, fail closed);
 * - only the first JSON value of the body is decoded, so trailing data is refused here.
 */

/** A body the policy cannot read the way the engine would. */
export class AmbiguousBodyError extends Error {}

/** A key as Go compares it against an ASCII field name. */
export const fold = (key: string): string =>
  key.replace(/[A-Z\u017f\u212a]/g, (c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c.toLowerCase()));

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * Parses a request body as strict JSON (RFC 8259, what Go's decoder accepts) and refuses a key that an
 * object names twice, exactly or in another spelling that Go folds to the same name.
 */
export function parseBody(text: string): unknown {
  let at = 0;
  const fail = (what: string): never => {
    throw new AmbiguousBodyError(`the request body is not valid JSON (${what} at offset ${at})`);
  };
  const ws = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const value = (depth: number): unknown => {
    if (depth > 10_000) fail('nesting too deep');
    ws();
    const c = text[at];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === 't' && text.startsWith('true', at)) return ((at += 4), true);
    if (c === 'f' && text.startsWith('false', at)) return ((at += 5), false);
    if (c === 'n' && text.startsWith('null', at)) return ((at += 4), null);
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected character');
    at += m[0].length;
    return Number(m[0]);
  };
  const string = (): string => {
    STRING.lastIndex = at;
    const m = STRING.exec(text);
    if (!m) return fail('bad string');
    at += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const object = (depth: number): Record<string, unknown> => {
    at++;
    const out: Record<string, unknown> = {};
    const seen = new Map<string, string>();
    ws();
    if (text[at] === '}') return (at++, out);
    for (;;) {
      ws();
      if (text[at] !== '"') fail('expected a key');
      const key = string();
      const folded = fold(key);
      const before = seen.get(folded);
      if (before !== undefined) {
        throw new AmbiguousBodyError(
          `the body names the field ${key} twice${before === key ? '' : ` (as ${before} and ${key})`}: the engine would merge both, so it is refused`,
        );
      }
      seen.set(folded, key);
      ws();
      if (text[at] !== ':') fail('expected :');
      at++;
      // An own property even for "__proto__", as JSON.parse makes it.
      Object.defineProperty(out, key, {
        value: value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      ws();
      if (text[at] === ',') {
        at++;
        continue;
      }
      if (text[at] === '}') return (at++, out);
      fail('expected , or }');
    }
  };
  const array = (depth: number): unknown[] => {
    at++;
    const out: unknown[] = [];
    ws();
    if (text[at] === ']') return (at++, out);
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[at] === ',') {
        at++;
        continue;
      }
      if (text[at] === ']') return (at++, out);
      fail('expected , or ]');
    }
  };
  const result = value(0);
  ws();
  if (at !== text.length) fail('data after the JSON value');
  return result;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** An object's field as Go would decode it into a struct; undefined when absent, null, or not an object. */
export function field(value: unknown, name: string): unknown {
  if (!isObject(value)) return undefined;
  const wanted = fold(name);
  const key = Object.keys(value).find((k) => fold(k) === wanted);
  const found = key === undefined ? undefined : value[key];
  return found === null ? undefined : found;
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
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');
