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
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROUTES, routeRequest, type RoutedRequest } from '../../../src/lib/access/routes.js';

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
function goParseQuery(raw: string): Map<string, string[]> | string {
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
    out.set(k.ok, [...(out.get(k.ok) ?? []), v.ok]);
  }
  return error ?? out;
}

/** The versions this plugin knows (engine 20.10's minimum to 26.1's maximum). */
const MIN = '1.12';
const MAX = '1.45';

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
  const eq = JSON.stringify(queryBytes(engine.query, false).map(([k, vs]) => [b(k), vs.map(b)]));
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
    name: "an absolute-form target whose authority Go refuses (bad port, host character or escape, userinfo): Go's server answers 400 itself, so the plugin is never asked; the plugin does not read the authority and routes the path",
    example: ['GET', 'http://h|x/networks/create'],
    shape: (_m, _t, engine) => !engine.routed && engine.why.startsWith('400: authority:'),
    onlyThat: () => true,
  },
  {
    name: "an API version with a part beyond int64 after 1.45 (`/v1.45.99999999999999999999`): strconv.Atoi gives int64's maximum with its range error, so the engine reads a version above 1.45 and its version middleware refuses the request whatever the plugin says; the plugin reads the part as 0, so 1.45, and routes it",
    example: ['GET', '/v1.45.99999999999999999999/containers/a/checkpoints'],
    shape: (_m, _t, engine) =>
      !engine.routed &&
      /^API version .* out of range$/.test(engine.why) &&
      engine.why
        .split(' ')[2]!
        .split('.')
        .some((p) => goAtoi(p) === INT64_MAX),
    onlyThat: () => true,
  },
  {
    name: "a percent-escape that is not UTF-8 (`%FF`) in the path or query: Go keeps the byte, the plugin decodes it as U+FFFD, so the name it looks up differs from the one the engine acts on (the engine's names come from JSON, always UTF-8, and its IDs are hex, so the engine finds no object by such a name)",
    example: ['GET', '/v1.41/containers/%FF/checkpoints'],
    shape: (method, target, engine) =>
      engine.routed &&
      (!validUtf8(engine.path) ||
        [...engine.query].some(([k, vs]) => !validUtf8(k) || vs.some((v) => !validUtf8(v)))),
    onlyThat: (method, target) => disagreement(method, target, true) === undefined,
  },
  {
    name: "a carriage return or U+2028/U+2029 in a variable whose template is `.*` or `.+`: Go's `.` matches all but `\\n`, JavaScript's refuses these too, so the plugin finds no route and refuses the request for everyone (fail closed, never more permissive)",
    example: ['GET', 'http:/v1.41/containers/%0D/checkpoints?'],
    shape: (_m, _t, engine) => engine.routed && engine.vars.some((v) => /\r|\xe2\x80[\xa8\xa9]/.test(v)),
    onlyThat: (method, target) => routeRequest(method, target).op.type === 'unknown',
  },
];

/** The engine and the plugin agree, or differ only as one known disagreement says. */
function agreesOrKnown(method: string, target: string): string | undefined {
  const d = disagreement(method, target);
  if (d === undefined) return undefined;
  const engine = engineReads(method, target);
  const known = KNOWN.find((k) => k.shape(method, target, engine));
  if (known && known.onlyThat(method, target)) return undefined;
  return known ? `${d} (a known shape, ${JSON.stringify(known.name)}, but not only that difference)` : d;
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
      { numRuns: 1000 },
    );
  });

  it('on arbitrary request targets', () => {
    fc.assert(
      fc.property(anyTarget, ({ method, target }) => {
        expect(agreesOrKnown(method, target)).toBeUndefined();
      }),
      { numRuns: 1000 },
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
