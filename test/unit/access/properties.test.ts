/**
 * Property tests of the access plugin, on generated requests (fast-check; a failing input is shrunk to a
 * small one, kept below as a fixed case when it shows a real disagreement).
 *
 * 1. Routing: the plugin's classification (routeRequest) agrees with a reference reading of the engine's
 *    rules written here from the engine's and Go's source, not from routes.ts: Go's url.ParseRequestURI,
 *    gorilla/mux's cleanPath, exact method match and route templates, moby's version prefix and
 *    versions.compare, and Go's url.ParseQuery. The reference works on bytes (a "binary string", one
 *    character per byte), as Go does.
 * 2. Bodies: no service create, update or rollback from a restrictedControl user that carries a
 *    host-reaching option is allowed, however the keys are spelt, nested, nulled or repeated; and the
 *    base spec with harmless variations is allowed, so the property cannot hold by refusing everything.
 *
 * About 3,500 generated cases in all, a second or two; PROPERTY_SCALE=100 (under a minute) for a deep run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { decide, type Lookup } from '../../../src/lib/access/policy.js';
import { ROUTES, routeRequest, type RoutedRequest } from '../../../src/lib/access/routes.js';

/** Runs per property: these keep the file to a second or two; PROPERTY_SCALE=50 runs 50 times as many. */
const runs = (n: number) => ({ numRuns: n * Number(process.env.PROPERTY_SCALE ?? '1') });

// ---------------------------------------------------------------------------------------------------
// 1. The reference reading of the engine's router
// ---------------------------------------------------------------------------------------------------

/** The engine's routes per API version (moby v20.10–v26.1), method and mux template, in registration order. */
const FIXTURE = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'engine-api', 'routes.json'), 'utf8'),
) as Record<string, [string, string][]>;

/**
 * Every route any of those engines serves, in their order: each version's routes, a route new in a later
 * version placed after the route it follows there. (The plugin cannot know which engine version will
 * serve a request, so it knows the union; a route a given engine lacks is a 404 there.)
 */
const ENGINE_ROUTES: [string, string][] = (() => {
  const out: [string, string][] = [];
  const key = ([m, t]: [string, string]) => `${m} ${t}`;
  for (const routes of Object.values(FIXTURE)) {
    routes.forEach((r, i) => {
      if (out.some((o) => key(o) === key(r))) return;
      const before = i === 0 ? -1 : out.findIndex((o) => key(o) === key(routes[i - 1]!));
      out.splice(before + 1, 0, r);
    });
  }
  return out;
})();

/** A JavaScript string as the bytes of its UTF-8 encoding, one character per byte. */
const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const utf8 = (b: string): string => Buffer.from(b, 'latin1').toString('utf8');

const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
/** Go's shouldEscape(c, encodeHost) for ASCII: what a host may hold unescaped. */
const hostByteOk = (c: string) => c >= '\x80' || /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/.test(c);

/** Go's net/url unescape in path, host, userinfo or query-component mode; a string is the error. */
function goUnescape(s: string, mode: 'path' | 'host' | 'userinfo' | 'query'): { ok: string } | string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2]))
        return `bad escape ${JSON.stringify(s.slice(i, i + 3))}`;
      if (mode === 'host' && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== '%25')
        return `bad escape in host ${JSON.stringify(s.slice(i, i + 3))}`;
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+' && mode === 'query') out += ' ';
    else {
      if (mode === 'host' && !hostByteOk(c)) return `invalid character ${JSON.stringify(c)} in host name`;
      out += c;
    }
  }
  return { ok: out };
}

const validOptionalPort = (p: string) => p === '' || /^:[0-9]*$/.test(p);

/** Go's url.parseAuthority: userinfo@host[:port]; only whether it is an error matters here. */
function goParseAuthority(authority: string): string | undefined {
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0) return "missing ']' in host";
    if (!validOptionalPort(host.slice(end + 1))) return 'invalid port';
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1 && !validOptionalPort(host.slice(colon))) return 'invalid port';
  }
  const h = goUnescape(host, 'host');
  if (typeof h === 'string') return h;
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@\x80-\xff]*$/.test(userinfo)) return 'invalid userinfo';
  const u = goUnescape(userinfo, 'userinfo');
  return typeof u === 'string' ? u : undefined;
}

/**
 * Go's url.ParseRequestURI (net/url parse with viaRequest): the decoded path and raw query, or why Go
 * answers 400. An opaque target (`scheme:x`) has an empty path, which mux then redirects.
 */
function goParseRequestURI(raw: string): { path: string; rawQuery: string } | string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) return 'invalid control character in URL';
  if (raw === '') return 'empty url';
  if (raw === '*') return { path: '*', rawQuery: '' };
  let scheme = '';
  let rest = raw;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return 'missing protocol scheme';
      scheme = raw.slice(0, i);
      rest = raw.slice(i + 1);
    }
    break;
  }
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) return scheme !== '' ? { path: '', rawQuery } : 'invalid URI for request';
  if (scheme !== '' && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash >= 0 ? authority.slice(slash) : '';
    authority = slash >= 0 ? authority.slice(0, slash) : authority;
    const bad = goParseAuthority(authority);
    if (bad !== undefined) return `authority: ${bad}`;
  }
  const path = goUnescape(rest, 'path');
  return typeof path === 'string' ? path : { path: path.ok, rawQuery };
}

/** Go's path.Clean, ported as written (lazybuf and all), for rooted paths. */
function goPathClean(p: string): string {
  const n = p.length;
  let out = '/';
  let r = 1;
  // Go moves `dotdot` only for paths that are not rooted; cleanPath's always are.
  const dotdot = 1;
  while (r < n) {
    if (p[r] === '/') r++;
    else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) r++;
    else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      r += 2;
      if (out.length > dotdot) {
        out = out.slice(0, -1);
        while (out.length > dotdot && out[out.length - 1] !== '/') out = out.slice(0, -1);
      }
    } else {
      if (out.length !== 1) out += '/';
      for (; r < n && p[r] !== '/'; r++) out += p[r];
    }
  }
  return out;
}

/** gorilla/mux's cleanPath: rooted, path.Clean, the trailing slash kept. */
function muxCleanPath(p: string): string {
  if (p === '') return '/';
  const rooted = p.startsWith('/') ? p : `/${p}`;
  const clean = goPathClean(rooted);
  return rooted.endsWith('/') && clean !== '/' ? `${clean}/` : clean;
}

/**
 * gorilla/mux's template as a regular expression over bytes: `{v}` is `[^/]+`, `{v:re}` is `re`,
 * literal text quoted, anchored. Go's `.` matches any character but `\n` (JavaScript's also refuses `\r`,
 * U+2028 and U+2029, so it is spelt out).
 */
function muxRegExp(template: string): string {
  let out = '';
  for (let i = 0; i < template.length;) {
    if (template[i] === '{') {
      const end = template.indexOf('}', i);
      const inner = template.slice(i + 1, end);
      const colon = inner.indexOf(':');
      const re = colon < 0 ? '[^/]+' : inner.slice(colon + 1);
      let js = '';
      let inClass = false;
      for (const c of re) {
        if (c === '[') inClass = true;
        if (c === ']') inClass = false;
        js += c === '.' && !inClass ? '[^\\n]' : c;
      }
      out += `(${js})`;
      i = end + 1;
    } else {
      out += template[i]!.replace(/[.*+?^${}()|[\]\\]/, '\\$&');
      i++;
    }
  }
  return out;
}

/** moby's router: each API route with the prefix `/v{version:[0-9.]+}` and then without; debug routes once, any method. */
const ENGINE_MATCHERS = ENGINE_ROUTES.map(([method, template]) => ({
  method,
  template,
  versioned: method === 'ANY' ? undefined : new RegExp(`^${muxRegExp(`/v{version:[0-9.]+}${template}`)}$`),
  plain: new RegExp(`^${muxRegExp(template)}$`),
}));

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * strconv.Atoi as versions.compare calls it (the error ignored): a syntax error gives 0, a value out of
 * range gives the nearest int64 (ParseInt: "the returned value is the maximum magnitude integer of the
 * appropriate bitSize and sign").
 */
function goAtoi(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) return 0n;
  const v = BigInt(s);
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/** moby's api/types/versions.compare. */
function mobyCompare(a: string, b: string): number {
  if (a === b) return 0;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = i < x.length ? goAtoi(x[i]!) : 0n;
    const o = i < y.length ? goAtoi(y[i]!) : 0n;
    if (p > o) return 1;
    if (o > p) return -1;
  }
  return 0;
}

/** Go's url.ParseQuery: any error (a `;` in a pair, a bad escape) and the engine's ParseForm refuses the request. */
function goParseQuery(raw: string, as = (b: string) => b): Map<string, string[]> | string {
  const out = new Map<string, string[]>();
  let error: string | undefined;
  for (const pair of raw.split('&')) {
    if (pair.includes(';')) {
      error ??= 'invalid semicolon separator in query';
      continue;
    }
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = goUnescape(eq < 0 ? pair : pair.slice(0, eq), 'query');
    const v = goUnescape(eq < 0 ? '' : pair.slice(eq + 1), 'query');
    if (typeof k === 'string' || typeof v === 'string') {
      error ??= typeof k === 'string' ? k : (v as string);
      continue;
    }
    out.set(as(k.ok), [...(out.get(as(k.ok)) ?? []), as(v.ok)]);
  }
  return error ?? out;
}

/** The versions this plugin knows (engine 20.10's minimum to 28.5's maximum). */
const MIN = '1.12';
const MAX = '1.51';

type EngineReading =
  | {
      routed: true;
      method: string;
      template: string;
      /** Bytes. */
      vars: string[];
      version: string | undefined;
      /** Bytes, without the version prefix. */
      path: string;
      query: Map<string, string[]>;
    }
  | { routed: false; why: string };

/** How the engine reads a request target (given as the plugin gets it, a JavaScript string). */
function engineReads(method: string, target: string): EngineReading {
  const no = (why: string): EngineReading => ({ routed: false, why });
  const parsed = goParseRequestURI(bytes(target));
  if (typeof parsed === 'string') return no(`400: ${parsed}`);
  if (muxCleanPath(parsed.path) !== parsed.path) return no(`301 to ${muxCleanPath(parsed.path)}`);
  for (const m of ENGINE_MATCHERS) {
    if (m.method !== 'ANY' && m.method !== method) continue;
    const v = m.versioned?.exec(parsed.path);
    const match = v ?? m.plain.exec(parsed.path);
    if (!match) continue;
    const version = v ? v[1]! : undefined;
    if (version !== undefined && (mobyCompare(version, MIN) < 0 || mobyCompare(version, MAX) > 0))
      return no(`API version ${version} out of range`);
    const query = goParseQuery(parsed.rawQuery);
    if (typeof query === 'string') return no(`400 from ParseForm: ${query}`);
    return {
      routed: true,
      method: m.method,
      template: m.template,
      vars: match.slice(v ? 2 : 1),
      version,
      path: v ? parsed.path.slice(2 + version!.length) : parsed.path,
      query,
    };
  }
  return no('404: no route');
}

/** What each engine route stands for (the operation of the plugin's table with the same method and template). */
const OPERATION = new Map(ROUTES.map(([method, template, to]) => [`${method} ${template}`, to]));

/** A query map with the plugin's JavaScript strings as UTF-8 bytes, keys sorted, to compare with Go's. */
const queryBytes = (q: Map<string, string[]>, fromPlugin: boolean) =>
  [...q.entries()]
    .map(([k, vs]) => [fromPlugin ? bytes(k) : k, vs.map((v) => (fromPlugin ? bytes(v) : v))] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
/** The raw query of a target, as Go splits it off (for the lossy comparison). */
const rawQueryOf = (target: string) => {
  const parsed = goParseRequestURI(bytes(target));
  return typeof parsed === 'string' ? '' : parsed.rawQuery;
};

/**
 * Where the plugin and the engine disagree on a request, or undefined when they agree. `lossy` compares
 * the engine's bytes decoded as UTF-8 the way JavaScript decodes them (a bad sequence becomes U+FFFD).
 */
function disagreement(method: string, target: string, lossy = false): string | undefined {
  const engine = engineReads(method, target);
  const plugin: RoutedRequest = routeRequest(method, target);
  const said = `engine: ${engine.routed ? `${engine.method} ${engine.template} ${JSON.stringify(engine.vars)} v=${engine.version}` : engine.why}; plugin: ${JSON.stringify(plugin.op)}`;
  if (!engine.routed) return plugin.op.type === 'unknown' ? undefined : `plugin routes it; ${said}`;
  if (plugin.op.type === 'unknown') return `plugin refuses what the engine routes; ${said}`;
  const to = OPERATION.get(`${engine.method} ${engine.template}`);
  if (!to) return `the plugin's table has no route ${engine.method} ${engine.template}`;
  const expected = to(engine.vars.map(utf8));
  if (JSON.stringify(expected) !== JSON.stringify(plugin.op)) return `other operation; ${said}`;
  const b = (s: string) => (lossy ? bytes(utf8(s)) : s);
  if (bytes(plugin.path) !== b(engine.path)) {
    return `other path: engine ${JSON.stringify(engine.path)} (bytes), plugin ${JSON.stringify(bytes(plugin.path))}; ${said}`;
  }
  if (plugin.version !== engine.version) return `other version; ${said}`;
  const pq = JSON.stringify(queryBytes(plugin.query, true));
  const query = lossy ? goParseQuery(rawQueryOf(target), b) : engine.query;
  const eq = JSON.stringify(typeof query === 'string' ? query : queryBytes(query, false));
  if (pq !== eq) return `other query: engine ${eq}, plugin ${pq}`;
  return undefined;
}

const validUtf8 = (b: string) => bytes(utf8(b)) === b;

/**
 * Disagreements the properties found, each with the shape of request it holds for (read from the
 * engine's side only), what the plugin does instead, and why it does no harm. The properties accept
 * exactly these differences on exactly these shapes; the fixed cases below keep one shrunk example of
 * each, written to fail once the plugin reads such requests as the engine does.
 */
const KNOWN: {
  name: string;
  /** The counterexample fast-check shrank to (20,000 runs of the generators below). */
  example: [method: string, target: string];
  /** Whether a request is of this shape, from the engine's reading alone. */
  shape(method: string, target: string, engine: EngineReading): boolean;
  /** Whether the plugin's reading differs from the engine's only as described. */
  onlyThat(method: string, target: string): boolean;
}[] = [
  {
    name: "a percent-escape that is not UTF-8 (`%FF`) in the path or query: Go keeps the byte and routes it; the plugin refuses the request for everyone, since the name it would look up is not the one the engine acts on (the engine's names come from JSON, always UTF-8, and its IDs are hex, so the engine finds no object by such a name: the plugin is stricter here, never looser)",
    example: ['GET', '/v1.41/containers/%FF/checkpoints'],
    shape: (method, target, engine) =>
      engine.routed &&
      (!validUtf8(engine.path) ||
        [...engine.query].some(([k, vs]) => !validUtf8(k) || vs.some((v) => !validUtf8(v)))),
    onlyThat: (method, target) => routeRequest(method, target).op.type === 'unknown',
  },
];

/** The engine and the plugin agree, or differ only as one known disagreement says. */
function agreesOrKnown(method: string, target: string): string | undefined {
  const d = disagreement(method, target);
  if (d === undefined) return undefined;
  const engine = engineReads(method, target);
  const known = KNOWN.filter((k) => k.shape(method, target, engine));
  if (known.some((k) => k.onlyThat(method, target))) return undefined;
  return known.length
    ? `${d} (of a known shape, ${known.map((k) => k.example.join(' ')).join(', ')}, but not only that difference)`
    : d;
}

// Generated request targets ---------------------------------------------------------------------------

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });

/** A piece of an object name: ordinary, a separator or escape the engine decodes, or something odd. */
const namePiece = fc.oneof(
  { weight: 16, arbitrary: chars('abcdefxyzABCXYZ0129_-', 1, 6) },
  {
    weight: 4,
    arbitrary: pick('/', '%2F', '%2f', '%41', '%62', '%7a', '%5F', '.', '..', '%2E', '%2e%2E', '+', ':', '@'),
  },
  { weight: 2, arbitrary: pick(';', '=', ',', '~', 'é', '%25', '%3F', '%3f', '?', '#', '%20', '%2B') },
  { weight: 1, arbitrary: pick('%0D', '%0A', '%E2%80%A8', '%FF', '%C3%A9', '%00', '%', '%G1', '%4') },
);
const name = fc.array(namePiece, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));

const versionPrefix = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 6, arbitrary: pick('/v1.41', '/v1.45', '/v1.24', '/v1.23', '/v1.12', '/v1.11', '/v1.46', '/v2') },
  { weight: 2, arbitrary: chars('0123456789.', 1, 8).map((s) => `/v${s}`) },
  {
    weight: 1,
    arbitrary: pick(
      '/v1.45.99999999999999999999',
      '/v1.44.99999999999999999999',
      '/v1.99999999999999999999',
      '/v0000000000000000001.0000000000000000041',
      '/V1.41',
      '/v',
      '/v1.41a',
      '/v%31.41',
    ),
  },
);

const scheme = pick('http', 'https', 'HTTP', 'unix', 'tcp', 'a+b.c-d', 'h2c', '1http', '-x');
const host = pick(
  '',
  'localhost',
  '127.0.0.1:2376',
  'u@h',
  'u:p@h:1',
  '[::1]',
  '[::1]:2376',
  'h:',
  'h%41',
  'h%2541',
  'h:x',
  'h{',
  'h|x',
  '%zz',
  'u{@h',
  'u%zz@h',
  'é',
);
const absolutePrefix = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.tuple(scheme, host).map(([s, h]) => `${s}://${h}`) },
  { weight: 1, arbitrary: scheme.map((s) => `${s}:`) },
);

const queryPiece = fc.oneof(
  pick(
    'rollback=previous',
    '%72ollback=previous',
    'rollback=%70revious',
    'ROLLBACK=previous',
    'rollback=previous+',
  ),
  pick('version=12', 'force=1', 'a+b=c+d', 'x', '=', '&', 'x=%', 'x=%zz', 'x=1;y=2', ';', 'a=%41%42', 'é=é'),
  chars('abx019=+%;', 0, 5),
);
const query = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constant('?') },
  {
    weight: 4,
    arbitrary: fc.array(queryPiece, { minLength: 1, maxLength: 3 }).map((a) => `?${a.join('&')}`),
  },
);

/** Changes to a path: doubled slashes, dot segments, trailing slash, escaped letters, other segments. */
const MUTATIONS = ['//', '/./', '/../', '/x/../', 'trailing /', 'escape', 'case', 'segment', 'drop'] as const;
const mutation = fc.record({
  kind: fc.constantFrom(...MUTATIONS),
  at: fc.nat(),
  segment: name,
  upper: fc.boolean(),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(path: string, m: Mutation): string {
  const slashes = [...path].flatMap((c, i) => (c === '/' ? [i] : []));
  const slash = slashes.length ? slashes[m.at % slashes.length]! : 0;
  switch (m.kind) {
    case '//':
    case '/./':
    case '/../':
    case '/x/../':
      return `${path.slice(0, slash)}${m.kind.slice(0, -1)}${path.slice(slash)}`;
    case 'trailing /':
      return `${path}/`;
    case 'escape':
    case 'case': {
      const letters = [...path].flatMap((c, i) => (/[a-z]/i.test(c) ? [i] : []));
      if (!letters.length) return path;
      const i = letters[m.at % letters.length]!;
      const c = path[i]!;
      const hex = c.charCodeAt(0).toString(16);
      const to =
        m.kind === 'escape'
          ? `%${m.upper ? hex.toUpperCase() : hex}`
          : c === c.toLowerCase()
            ? c.toUpperCase()
            : c.toLowerCase();
      return `${path.slice(0, i)}${to}${path.slice(i + 1)}`;
    }
    case 'segment':
    case 'drop': {
      const parts = path.split('/');
      const i = 1 + (m.at % Math.max(1, parts.length - 1));
      parts.splice(i, 1, ...(m.kind === 'segment' ? [m.segment] : []));
      return parts.join('/');
    }
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT'];

/** A request built on a real engine route: its method (or another spelling), its variables filled. */
const onARoute = fc
  .record({
    route: fc.constantFrom(...ENGINE_ROUTES),
    names: fc.array(name, { minLength: 2, maxLength: 2 }),
    method: fc.oneof(
      { weight: 10, arbitrary: fc.constant('as-route') },
      { weight: 1, arbitrary: pick('lower', 'title') },
      { weight: 2, arbitrary: pick(...METHODS) },
    ),
    version: versionPrefix,
    prefix: absolutePrefix,
    mutations: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Mutation[]>([]) },
      { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) },
    ),
    query,
  })
  .map(({ route: [routeMethod, template], names, method, version, prefix, mutations, query }) => {
    let i = 0;
    let path = template.replace(/\{[^}]+\}/g, () => names[i++ % 2]!);
    if (routeMethod !== 'ANY') path = `${version}${path}`;
    path = mutations.reduce(mutate, path);
    const base = routeMethod === 'ANY' ? 'GET' : routeMethod;
    const m =
      method === 'as-route'
        ? base
        : method === 'lower'
          ? base.toLowerCase()
          : method === 'title'
            ? `${base[0]}${base.slice(1).toLowerCase()}`
            : method;
    return { method: m, target: `${prefix}${path}${query}` };
  });

/** Anything made of the characters that matter to the readers. */
const anyTarget = fc.record({
  method: pick(...METHODS, 'get', 'post'),
  target: fc.oneof(
    chars('/v1.45%2Fsecrvijonfg?&=;+:#.aAzZ09', 0, 24),
    chars('/v1.45%2Fsecrvijonfg?&=;+:#.aAzZ09', 0, 24).map((s) => `/${s}`),
  ),
});

describe('routing agrees with the engine', () => {
  it('on generated requests along real routes', () => {
    fc.assert(
      fc.property(onARoute, ({ method, target }) => {
        expect(agreesOrKnown(method, target)).toBeUndefined();
      }),
      runs(1000),
    );
  });

  it('on arbitrary request targets', () => {
    fc.assert(
      fc.property(anyTarget, ({ method, target }) => {
        expect(agreesOrKnown(method, target)).toBeUndefined();
      }),
      runs(1000),
    );
  });

  it('the reference routes the requests a client sends (so agreement is not only on refusals)', () => {
    for (const [method, target] of [
      ['GET', '/v1.41/info'],
      ['POST', '/v1.45/services/create'],
      ['POST', '/v1.41/services/web/update?version=3&rollback=previous'],
      ['POST', 'http://localhost/v1.41/containers/c1/start'],
      ['GET', '/v1.41/networks/a%2Fb'],
      ['GET', '/_ping'],
      ['GET', '/debug/pprof/heap'],
    ] as const) {
      expect(engineReads(method, target).routed, `${method} ${target}`).toBe(true);
      expect(disagreement(method, target), `${method} ${target}`).toBeUndefined();
    }
  });

  it('the engine facts the reference encodes, each read the same by the plugin', () => {
    const facts: [method: string, target: string, routed: boolean][] = [
      ['POST', '/v1.41/%73ervices/create', true], // the path is decoded before matching
      ['post', '/v1.41/services/create', false], // mux matches the method as sent
      ['POST', '/v1.41/services/create/', false], // no route has the trailing slash
      ['POST', '/v1.41//services/create', false], // cleanPath redirects
      ['POST', '/v1.41/services/./create', false],
      ['GET', '/v1.41/info%', false], // a bad escape is a 400
      ['GET', '/v01.041.0/info', true], // versions.compare: 1.41
      ['GET', '/v1.52/info', false], // above this plugin's API versions
      ['GET', '/v1.51.99999999999999999999/info', false], // Atoi's range error gives int64's max: too new
      ['GET', '/v1.11/info', false],
      ['GET', 'tcp://h:2376/v1.41/info', true], // absolute form, any scheme
      ['GET', 'http:/v1.41/info', true], // a scheme and no authority
      ['GET', '//h/v1.41/info', false], // no scheme: the path is //h/..., redirected
      ['GET', '/v1.41/debug/vars', true], // engine 28 serves the debug routes as GET, versioned too
      ['PUT', '/debug/vars', true], // and up to 27 for any method, unversioned
      ['PUT', '/v1.41/debug/vars', false],
      ['GET', 'http://h|x/v1.41/info', false], // Go refuses the authority: a 400
      ['GET', 'http://u@h:2376/v1.41/info', true],
      ['GET', 'http://h:x/v1.41/info', false], // a port that is not digits
      ['GET', '/v1.41/containers/a%0Db/json', true], // Go's . matches \r (only \n is excluded)
      ['GET', '/v1.41/info?a;b', false], // Go's ParseQuery refuses ;
      ['GET', '/v1.41/networks/a/b', true], // {id:.+} takes slashes
      ['GET', '/v1.41/services/a/b', false], // {id} does not
    ];
    for (const [method, target, routed] of facts) {
      expect(engineReads(method, target).routed, `${method} ${target}`).toBe(routed);
      expect(disagreement(method, target), `${method} ${target}`).toBeUndefined();
    }
  });

  it('a fair share of the generated requests is routed (so agreement is not only on refusals)', () => {
    const sample = fc.sample(onARoute, { numRuns: 500, seed: 21 });
    const routed = sample.filter(({ method, target }) => engineReads(method, target).routed).length;
    expect(routed / sample.length).toBeGreaterThan(0.15);
  });

  // The shrunk counterexamples of the known disagreements. Each is written as agreement and expected to
  // fail (it.fails): when the plugin comes to read these requests as the engine does, vitest reports it,
  // and the case becomes a plain it().
  for (const known of KNOWN) {
    const [method, target] = known.example;
    it(`known disagreement, example of its shape: ${method} ${target}`, () => {
      expect(known.shape(method, target, engineReads(method, target))).toBe(true);
      expect(known.onlyThat(method, target)).toBe(true);
    });
    it.fails(`${method} ${target}: ${known.name}`, () => {
      expect(disagreement(method, target)).toBeUndefined();
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// 2. Bodies: host-reaching options never pass for a restrictedControl user
// ---------------------------------------------------------------------------------------------------

/**
 * A JSON object as a list of entries, so a body can name a key twice and spell it as Go would still
 * match it. `map` marks a Go map (labels, options): its keys are exact, so they are never respelt.
 */
class JObj {
  constructor(
    public entries: [string, JVal][] = [],
    public map = false,
  ) {}
}
type JVal = null | boolean | number | string | JVal[] | JObj;

/** The fields of the engine's service spec that are Go maps. */
const MAP_FIELDS = new Set(['Labels', 'Options', 'DriverOpts', 'Sysctls']);

function toJ(value: unknown, map = false): JVal {
  if (Array.isArray(value)) return value.map((v) => toJ(v));
  if (value !== null && typeof value === 'object') {
    return new JObj(
      Object.entries(value).map(([k, v]) => [k, toJ(v, MAP_FIELDS.has(k))]),
      map,
    );
  }
  return value as JVal;
}

const clone = (v: JVal): JVal =>
  v instanceof JObj
    ? new JObj(
        v.entries.map(([k, x]) => [k, clone(x)]),
        v.map,
      )
    : Array.isArray(v)
      ? v.map(clone)
      : v;

/** The object at a path of (exact) keys, made when missing or not an object. */
function objectAt(root: JObj, path: readonly string[]): JObj {
  let at = root;
  for (const key of path) {
    const entry = at.entries.find(([k]) => k === key);
    if (entry && entry[1] instanceof JObj) at = entry[1];
    else {
      const made = new JObj([], MAP_FIELDS.has(key));
      if (entry) entry[1] = made;
      else at.entries.push([key, made]);
      at = made;
    }
  }
  return at;
}

/** Sets `key` in an object (replacing its value where it is), or inserts it at `pos`. */
function put(obj: JObj, key: string, value: JVal, pos: number): void {
  const entry = obj.entries.find(([k]) => k === key);
  if (entry) entry[1] = value;
  else obj.entries.splice(pos % (obj.entries.length + 1), 0, [key, value]);
}

/** Appends to the list at `key` (made when missing). */
function append(obj: JObj, key: string, item: JVal): void {
  const entry = obj.entries.find(([k]) => k === key);
  if (entry && Array.isArray(entry[1])) entry[1].push(item);
  else put(obj, key, [item], obj.entries.length);
}

/** Every struct (not map) object of a body, list items included, for fields placed at random depth. */
function structs(v: JVal, out: JObj[] = []): JObj[] {
  if (Array.isArray(v)) for (const x of v) structs(x, out);
  if (v instanceof JObj && !v.map) {
    out.push(v);
    for (const [, x] of v.entries) structs(x, out);
  }
  return out;
}

/**
 * Spellings Go's decoder matches to the same field: ASCII case changes, ſ (U+017F) for s and the Kelvin
 * sign (U+212A) for k, and a `\u` escape in the key's JSON text (7).
 */
function respell(key: string, choice: number): string {
  switch (choice % 8) {
    case 1:
      return key.toLowerCase();
    case 2:
      return key.toUpperCase();
    case 3:
      return `${key[0] === key[0]!.toLowerCase() ? key[0]!.toUpperCase() : key[0]!.toLowerCase()}${key.slice(1)}`;
    case 4:
      return key.replace(/s/gi, '\u017f');
    case 5:
      return key.replace(/k/gi, '\u212a');
    case 6:
      return [...key].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
    default:
      return key;
  }
}

function keyText(key: string, choice: number): string {
  const spelt = respell(key, choice);
  if (choice % 8 !== 7 || spelt === '') return JSON.stringify(spelt);
  const first = `\\u${spelt.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return `"${first}${JSON.stringify(spelt.slice(1)).slice(1)}`;
}

/** The body's JSON text; struct keys spelt by the choices in turn (0: as written). */
function serialize(v: JVal, choices: readonly number[]): string {
  let i = 0;
  const next = () => (choices.length === 0 ? 0 : choices[i++ % choices.length]!);
  const write = (x: JVal): string => {
    if (x instanceof JObj) {
      return `{${x.entries.map(([k, y]) => `${keyText(k, x.map ? 0 : next())}:${write(y)}`).join(',')}}`;
    }
    if (Array.isArray(x)) return `[${x.map(write).join(',')}]`;
    return JSON.stringify(x);
  };
  return write(v);
}

const TEAM = '/Shared/team';
const LABELS = { 'eectl.collection': TEAM };
const CONSTRAINTS = ['node.role==worker', `node.labels.eectl.collection==${TEAM}`];

/** The spec a restrictedControl user on /Shared/team may create: its collection, pinned to its workers. */
const baseSpec = () => ({
  Name: 'web',
  Labels: { ...LABELS },
  TaskTemplate: {
    ContainerSpec: { Image: 'app:1' },
    Placement: { Constraints: [...CONSTRAINTS] },
  },
});

/** Harmless additions: allow-listed fields with allowed values, as a client sends them. */
const HARMLESS: { path: string[]; key: string; value: unknown; append?: boolean }[] = [
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Args', value: ['serve', '--port=80'] },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Env', value: ['A=1', 'MODE=prod'] },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Dir', value: '/app' },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'User', value: 'nobody' },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Hostname', value: 'web' },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'TTY', value: true },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Init', value: true },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'ReadOnly', value: true },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'StopGracePeriod', value: 10_000_000_000 },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'StopSignal', value: 'SIGTERM' },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Labels', value: { 'com.example.tier': 'web' } },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'CapabilityDrop', value: ['ALL'] },
  { path: ['TaskTemplate', 'ContainerSpec'], key: 'Isolation', value: 'default' },
  {
    path: ['TaskTemplate', 'ContainerSpec'],
    key: 'Privileges',
    value: { NoNewPrivileges: true, Seccomp: { Mode: 'default' }, AppArmor: { Mode: 'default' } },
  },
  {
    path: ['TaskTemplate', 'ContainerSpec'],
    key: 'HealthCheck',
    value: { Test: ['CMD', 'true'], Interval: 5_000_000_000, Retries: 3 },
  },
  {
    path: ['TaskTemplate', 'ContainerSpec'],
    key: 'Mounts',
    append: true,
    value: {
      Type: 'volume',
      Source: 'data',
      Target: '/data',
      VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'local' } },
    },
  },
  {
    path: ['TaskTemplate', 'ContainerSpec'],
    key: 'Mounts',
    append: true,
    value: { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1_000_000 } },
  },
  {
    path: ['TaskTemplate', 'ContainerSpec'],
    key: 'Secrets',
    append: true,
    value: { SecretID: 's1', SecretName: 's1', File: { Name: 's1', UID: '0', GID: '0', Mode: 292 } },
  },
  {
    path: ['TaskTemplate', 'ContainerSpec'],
    key: 'Configs',
    append: true,
    value: {
      ConfigID: 'c1',
      ConfigName: 'c1',
      File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 292 },
    },
  },
  {
    path: ['TaskTemplate'],
    key: 'Resources',
    value: {
      Limits: { NanoCPUs: 1_000_000_000, MemoryBytes: 268_435_456 },
      Reservations: { MemoryBytes: 1_048_576 },
    },
  },
  { path: ['TaskTemplate'], key: 'RestartPolicy', value: { Condition: 'on-failure', MaxAttempts: 3 } },
  { path: ['TaskTemplate'], key: 'Networks', append: true, value: { Target: 'net', Aliases: ['web'] } },
  { path: ['TaskTemplate'], key: 'LogDriver', value: { Name: 'json-file', Options: { 'max-size': '10m' } } },
  { path: ['TaskTemplate'], key: 'ForceUpdate', value: 1 },
  { path: ['TaskTemplate'], key: 'Runtime', value: 'container' },
  { path: ['TaskTemplate', 'Placement'], key: 'Constraints', value: [...CONSTRAINTS, 'node.hostname!=m1'] },
  {
    path: ['TaskTemplate', 'Placement'],
    key: 'Preferences',
    value: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
  },
  { path: [], key: 'Mode', value: { Replicated: { Replicas: 2 } } },
  {
    path: [],
    key: 'UpdateConfig',
    value: { Parallelism: 1, Order: 'start-first', FailureAction: 'rollback' },
  },
  { path: [], key: 'RollbackConfig', value: { Parallelism: 1, Order: 'stop-first' } },
  {
    path: [],
    key: 'EndpointSpec',
    value: {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }],
    },
  },
];

const MISSING = Symbol('missing');
/** An object without the keys whose value is MISSING. */
const without = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== MISSING));
const nth = <T>(list: readonly T[], n: number): T => list[n % list.length]!;

interface Insertion {
  path: string[];
  key: string;
  value: unknown;
  append?: boolean;
}

/**
 * Options that reach the host (or the managers, or the network from them) when a restrictedControl user
 * puts them in a service spec; each variant `v` picks one spelling of the option.
 */
const HAZARDS: Record<string, (v: number) => Insertion[]> = {
  'bind mount': (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec'],
      key: 'Mounts',
      append: true,
      value: without({
        Type: nth(['bind', 'BIND', 'Bind', MISSING, null, 'npipe', 'cluster'], v),
        Source: nth(['/', '/etc', '/var/run/docker.sock', '/etc/eectl/pki'], v >> 3),
        Target: '/host',
      }),
    },
  ],
  'volume driver options': (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec'],
      key: 'Mounts',
      append: true,
      value: {
        Type: 'volume',
        Source: 'v',
        Target: '/d',
        VolumeOptions: {
          DriverConfig: without({
            Name: nth(['local', '', MISSING, null], v),
            Options: { type: 'none', o: 'bind', device: nth(['/', '/etc'], v >> 2) },
          }),
        },
      },
    },
  ],
  CapabilityAdd: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec'],
      key: 'CapabilityAdd',
      value: [nth(['CAP_SYS_ADMIN', 'ALL', 'SYS_PTRACE', 'NET_ADMIN'], v)],
    },
  ],
  Sysctls: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec'],
      key: 'Sysctls',
      value: nth([{ 'net.ipv4.ip_forward': '1' }, { 'kernel.shm_rmid_forced': '1' }], v),
    },
  ],
  Ulimits: () => [
    {
      path: ['TaskTemplate', 'ContainerSpec'],
      key: 'Ulimits',
      value: [{ Name: 'nofile', Soft: 1_048_576, Hard: 1_048_576 }],
    },
  ],
  seccomp: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec', 'Privileges'],
      key: 'Seccomp',
      value: nth(
        [
          { Mode: 'unconfined' },
          { Mode: 'custom', Profile: 'eyJkZWZhdWx0QWN0aW9uIjoiU0NNUF9BQ1RfQUxMT1cifQ==' },
          { Mode: 'Unconfined' },
          { Profile: '{"defaultAction":"SCMP_ACT_ALLOW"}' },
        ],
        v,
      ),
    },
  ],
  apparmor: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec', 'Privileges'],
      key: 'AppArmor',
      value: { Mode: nth(['disabled', 'Disabled', 'unconfined'], v) },
    },
  ],
  SELinuxContext: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec', 'Privileges'],
      key: 'SELinuxContext',
      value: nth([{ Disable: true }, { User: 'system_u', Role: 'system_r', Type: 'spc_t', Level: 's0' }], v),
    },
  ],
  CredentialSpec: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec', 'Privileges'],
      key: 'CredentialSpec',
      value: nth([{ File: 'spec.json' }, { Registry: 'spec' }, { Config: 'c1' }], v),
    },
  ],
  'plugin runtime': (v) =>
    nth(
      [
        [
          { path: ['TaskTemplate'], key: 'Runtime', value: 'plugin' },
          {
            path: ['TaskTemplate'],
            key: 'PluginSpec',
            value: { Name: 'p', Remote: 'evil/plugin', Privileges: [{ Name: 'mount', Value: ['/'] }] },
          },
        ],
        [{ path: ['TaskTemplate'], key: 'Runtime', value: nth(['plugin', 'attachment', 'Plugin'], v >> 2) }],
        [{ path: ['TaskTemplate'], key: 'PluginSpec', value: { Name: 'p', Remote: 'evil/plugin' } }],
      ],
      v,
    ),
  Isolation: (v) => [
    {
      path: ['TaskTemplate', 'ContainerSpec'],
      key: 'Isolation',
      value: nth(['hyperv', 'process'], v),
    },
  ],
  'log driver': (v) => [
    {
      path: ['TaskTemplate'],
      key: 'LogDriver',
      value: nth(
        [
          { Name: 'syslog', Options: { 'syslog-address': 'tcp://10.0.0.1:514' } },
          { Name: 'json-file', Options: { 'syslog-address': 'udp://10.0.0.1:514' } },
          { Name: 'gelf', Options: { 'gelf-address': 'udp://10.0.0.1:12201' } },
          { Name: 'fluentd' },
          { Name: 'syslog' },
        ],
        v,
      ),
    },
  ],
  'network driver options': (v) => [
    {
      path: nth([['TaskTemplate'], []], v),
      key: 'Networks',
      append: true,
      value: { Target: 'net', DriverOpts: { 'com.docker.network.driver.mtu': '9000' } },
    },
  ],
  'routing-mesh port': (v) => [
    {
      path: ['EndpointSpec'],
      key: 'Ports',
      append: true,
      value: without({
        Protocol: 'tcp',
        TargetPort: 80,
        PublishedPort: 8080,
        PublishMode: nth([MISSING, null, 'ingress', 'INGRESS', 'bogus', ''], v),
      }),
    },
  ],
  GenericResources: (v) => [
    {
      path: ['TaskTemplate', 'Resources', 'Reservations'],
      key: 'GenericResources',
      value: nth(
        [
          [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }],
          [{ NamedResourceSpec: { Kind: 'gpu', Value: 'GPU-0' } }],
        ],
        v,
      ),
    },
  ],
  placement: (v) => [
    nth<Insertion>(
      [
        { path: ['TaskTemplate', 'Placement'], key: 'Constraints', value: [CONSTRAINTS[1]] },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: ['node.role==manager', CONSTRAINTS[1]],
        },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: ['node.role!=worker', CONSTRAINTS[1]],
        },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: ['node.labels.role==worker', CONSTRAINTS[1]],
        },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: ['node.hostname!=m1', CONSTRAINTS[1]],
        },
        { path: ['TaskTemplate', 'Placement'], key: 'Constraints', value: [CONSTRAINTS[0]] },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: [CONSTRAINTS[0], 'node.labels.eectl.collection==/System'],
        },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: [CONSTRAINTS[0], 'node.labels.eectl.collection!=/Shared/team'],
        },
        {
          path: ['TaskTemplate', 'Placement'],
          key: 'Constraints',
          value: ['node.role==worker || true', CONSTRAINTS[1]],
        },
        { path: ['TaskTemplate', 'Placement'], key: 'Constraints', value: [] },
        { path: ['TaskTemplate', 'Placement'], key: 'Constraints', value: null },
        { path: ['TaskTemplate'], key: 'Placement', value: null },
        { path: ['TaskTemplate'], key: 'Placement', value: {} },
      ],
      v,
    ),
  ],
};

/** Fields no allow-list row names, placed in any struct of the body. */
const UNKNOWN_FIELDS = ['Privileged', 'Devices', 'CgroupParent', 'OomScoreAdj', 'HostConfig', 'PidMode'];
const UNKNOWN_VALUES: unknown[] = [true, ['/dev/mem'], { Privileged: true }, '/', 1, ''];

const hazard = fc.record({
  kind: fc.constantFrom(...Object.keys(HAZARDS), 'unknown field'),
  variant: fc.nat({ max: 63 }),
  /** How the key is repeated: no, or a null or the spec's clean value before or after it. */
  repeat: fc.constantFrom('no', 'no', 'no', 'null before', 'null after', 'clean before', 'clean after'),
  /** Which key of the path is repeated (the hazard's own, or one of its parents'). */
  level: fc.nat({ max: 7 }),
  pos: fc.nat({ max: 15 }),
  unknown: fc.oneof(
    fc.constantFrom(...UNKNOWN_FIELDS),
    chars('abcdefXYZ', 1, 8).map((s) => `Zz${s}`),
  ),
});
type Hazard = typeof hazard extends fc.Arbitrary<infer T> ? T : never;

/** Puts a hazard in a body; the body's clean copy gives a repeated key its other value. */
function inject(body: JObj, h: Hazard): void {
  const clean = clone(body) as JObj;
  if (h.kind === 'unknown field') {
    const obj = nth(structs(body), h.variant);
    put(obj, h.unknown, toJ(nth(UNKNOWN_VALUES, h.variant >> 3)), h.pos);
    const index = obj.entries.findIndex(([k]) => k === h.unknown);
    const other = h.repeat.startsWith('null') ? null : new JObj();
    if (h.repeat !== 'no')
      obj.entries.splice(h.repeat.endsWith('before') ? index : index + 1, 0, [h.unknown, other]);
    return;
  }
  const insertions = HAZARDS[h.kind]!(h.variant);
  for (const ins of insertions) {
    const obj = objectAt(body, ins.path);
    const value = toJ(ins.value, MAP_FIELDS.has(ins.key));
    if (ins.append) append(obj, ins.key, value);
    else put(obj, ins.key, value, h.pos);
  }
  if (h.repeat === 'no') return;
  // Repeat one key along the first insertion's path: Go decodes both into the same field.
  const ins = insertions[0]!;
  const keys = [...ins.path, ins.key];
  const level = h.level % keys.length;
  const parent = objectAt(body, keys.slice(0, level));
  const key = keys[level]!;
  const index = parent.entries.findIndex(([k]) => k === key);
  const cleanParent = keys
    .slice(0, level)
    .reduce<JVal | undefined>(
      (o, k) => (o instanceof JObj ? o.entries.find(([x]) => x === k)?.[1] : undefined),
      clean,
    );
  const cleanValue =
    cleanParent instanceof JObj ? cleanParent.entries.find(([x]) => x === key)?.[1] : undefined;
  const other: JVal = h.repeat.startsWith('null') ? null : (cleanValue ?? new JObj([], MAP_FIELDS.has(key)));
  parent.entries.splice(h.repeat.endsWith('before') ? index : index + 1, 0, [key, other]);
}

/** A spec with harmless additions and, maybe, extra null fields (null is absent to the engine). */
const harmlessSpec = fc.record({
  additions: fc.subarray(HARMLESS.map((_, i) => i)),
  nulls: fc.array(
    fc.record({ where: fc.nat(), key: fc.constantFrom(...UNKNOWN_FIELDS, 'Mounts', 'Privileges') }),
    {
      maxLength: 2,
    },
  ),
});

function buildHarmless({
  additions,
  nulls,
}: {
  additions: number[];
  nulls: { where: number; key: string }[];
}) {
  const body = toJ(baseSpec()) as JObj;
  for (const i of additions) {
    const a = HARMLESS[i]!;
    const obj = objectAt(body, a.path);
    const value = toJ(a.value, MAP_FIELDS.has(a.key));
    if (a.append) append(obj, a.key, value);
    else put(obj, a.key, value, 0);
  }
  for (const n of nulls) {
    const obj = nth(structs(body), n.where);
    if (!obj.entries.some(([k]) => k.toLowerCase() === n.key.toLowerCase())) obj.entries.push([n.key, null]);
  }
  return body;
}

const spellings = fc.oneof(
  { weight: 1, arbitrary: fc.constant<number[]>([]) },
  { weight: 3, arbitrary: fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 40 }) },
);

const POLICY: AccessPolicy = {
  version: 1,
  cluster: 'prop',
  users: [{ name: 'dev', admin: false, defaultCollection: '/Shared/Private/dev' }],
  teams: [{ name: 'team', members: ['dev'] }],
  grants: [{ team: 'team', role: 'restrictedControl', collection: TEAM }],
  revoked: [],
};

/** The engine's objects: the team's service (with a previous spec), networks, secrets and configs. */
const lookupWith = (previousSpec: unknown = baseSpec()): Lookup => ({
  inspect: async (kind, id) => {
    if (kind === 'service' && id === 'web')
      return { ID: 'web', Spec: baseSpec(), PreviousSpec: previousSpec };
    if (kind === 'network') return { Name: id, Driver: 'overlay', Labels: { ...LABELS } };
    if (kind === 'secret' || kind === 'config') return { ID: id, Spec: { Name: id, Labels: { ...LABELS } } };
    return undefined;
  },
});

const operation = fc.record({
  kind: fc.constantFrom('create', 'update', 'rollback'),
  version: fc.constantFrom('/v1.41', '/v1.43', '/v1.45', ''),
});

function requestFor(kind: string, version: string, body: string) {
  const uri =
    kind === 'create'
      ? `${version}/services/create`
      : `${version}/services/web/update?version=7${kind === 'rollback' ? '&rollback=previous' : ''}`;
  return {
    method: 'POST',
    uri,
    body: Buffer.from(body),
    identity: { kind: 'certificate' as const, user: 'dev', issuedAt: new Date() },
  };
}

describe('host-reaching options never pass for a restrictedControl user', () => {
  it('refuses every generated create, update and rollback that carries one', async () => {
    await fc.assert(
      fc.asyncProperty(
        harmlessSpec,
        fc.array(hazard, { minLength: 1, maxLength: 3 }),
        spellings,
        operation,
        async (harmless, hazards, choices, op) => {
          const spec = buildHarmless(harmless);
          for (const h of hazards) inject(spec, h);
          const text = serialize(spec, choices);
          // A rollback puts the service's previous spec in place: the hazard is there, as the engine
          // stores and returns it (exact keys, each once), and the body is the harmless spec.
          const stored = buildHarmless(harmless);
          for (const h of hazards) inject(stored, { ...h, repeat: 'no' });
          const request =
            op.kind === 'rollback'
              ? requestFor(op.kind, op.version, serialize(buildHarmless(harmless), choices))
              : requestFor(op.kind, op.version, text);
          const previous = op.kind === 'rollback' ? JSON.parse(serialize(stored, [])) : baseSpec();
          const decision = await decide(POLICY, request, lookupWith(previous));
          if (decision.allow)
            throw new Error(`allowed: ${op.kind} ${op.kind === 'rollback' ? serialize(stored, []) : text}`);
        },
      ),
      runs(1000),
    );
  });

  it('allows the base spec with harmless variations (so the property above cannot pass by refusing all)', async () => {
    await fc.assert(
      fc.asyncProperty(harmlessSpec, spellings, operation, async (harmless, choices, op) => {
        const spec = buildHarmless(harmless);
        const text = serialize(spec, choices);
        const previous = op.kind === 'rollback' ? JSON.parse(serialize(spec, [])) : baseSpec();
        const body = op.kind === 'rollback' ? serialize(toJ(baseSpec()), choices) : text;
        const decision = await decide(POLICY, requestFor(op.kind, op.version, body), lookupWith(previous));
        expect(decision.reason, `${op.kind} ${text}`).toMatch(/^granted$/);
      }),
      runs(500),
    );
  });
});
