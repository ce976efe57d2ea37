// Extract flat field-path lists for selected Docker Engine API request bodies
// from moby's api/swagger.yaml at each release tag.
// Usage: MOBY_TREES=DIR node scripts/engine-api/bodies.mjs  (reads DIR/<tag>/api/swagger.yaml)
import fs from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
let YAML;
YAML = require('yaml');

// MOBY_TREES: a folder with one moby source tree per release tag, e.g. for each tag below
//   git -C moby archive <tag> api cmd/dockerd | tar -x -C "$MOBY_TREES/<tag>"
const SRC = process.env.MOBY_TREES;
if (!SRC)
  throw new Error('set MOBY_TREES to a folder of moby source trees, one per tag (see the top of this file)');
const OUT = new URL('../../test/fixtures/engine-api/', import.meta.url);
const TAGS = {
  1.41: 'v20.10.27',
  1.42: 'v23.0.18',
  1.43: 'v24.0.9',
  1.44: 'v25.0.17',
  1.45: 'v26.1.5',
  1.47: 'v27.5.1',
  1.51: 'v28.5.2',
};
const BODIES = {
  ServiceSpec: ['/services/create', 'post'],
  ContainerCreate: ['/containers/create', 'post'],
  NetworkCreateRequest: ['/networks/create', 'post'],
  VolumeCreateOptions: ['/volumes/create', 'post'],
  SecretSpec: ['/secrets/create', 'post'],
  ConfigSpec: ['/configs/create', 'post'],
  ExecConfig: ['/containers/{id}/exec', 'post'],
  ContainerUpdate: ['/containers/{id}/update', 'post'],
  ExecStartConfig: ['/exec/{id}/start', 'post'],
  NetworkConnectRequest: ['/networks/{id}/connect', 'post'],
};
const MAX_DEPTH = 8;

// Some older swagger.yaml files (e.g. v20.10) contain multi-line double-quoted
// scalars whose continuation lines are not indented past the key, which the
// strict "yaml" package rejects. Re-indent such continuation lines in memory.
function fixQuotedContinuations(text) {
  const lines = text.split('\n');
  let fixes = 0;
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(\s*)[\w$.-]+:\s+"((?:[^"\\]|\\.)*)$/);
    if (!m) continue;
    const keyIndent = m[1].length;
    for (let j = i + 1; j < lines.length; j++) {
      const cur = lines[j];
      const ind = cur.match(/^\s*/)[0].length;
      if (ind <= keyIndent) {
        lines[j] = ' '.repeat(keyIndent + 2 - ind) + cur;
        fixes++;
      }
      if (/(^|[^\\])"/.test(cur)) {
        i = j;
        break;
      }
    }
  }
  return { text: lines.join('\n'), fixes };
}
function parseSwagger(text, file) {
  const { text: fixed, fixes } = fixQuotedContinuations(text);
  const d = YAML.parseDocument(fixed);
  if (d.errors.length) throw new Error(file + ': ' + d.errors.map(String).join('; '));
  if (fixes) console.error(`${file}: re-indented ${fixes} continuation line(s) of multi-line quoted scalars`);
  return d.toJS({ maxAliasCount: -1 });
}

function makeResolver(doc) {
  const deref = (schema) => {
    // follow $ref chains
    let s = schema,
      guard = 0;
    while (s && s.$ref && guard++ < 50) {
      const name = s.$ref.replace(/^#\/definitions\//, '');
      const target = doc.definitions[name];
      if (!target) throw new Error('unresolved ref ' + s.$ref);
      // sibling keys next to $ref are ignored in swagger 2, but keep description-free merge of enum/type if any
      s = target;
    }
    return s;
  };
  // Flatten allOf into a single object schema {type, properties, additionalProperties, enum, items}
  const normalize = (schema, depth = 0) => {
    let s = deref(schema);
    if (!s) return {};
    if (s.allOf) {
      const merged = { properties: {} };
      for (const part of s.allOf) {
        const p = normalize(part, depth + 1);
        if (p.type && !merged.type) merged.type = p.type;
        Object.assign(merged.properties, p.properties || {});
        if (p.additionalProperties !== undefined && merged.additionalProperties === undefined)
          merged.additionalProperties = p.additionalProperties;
        if (p.enum && !merged.enum) merged.enum = p.enum;
        if (p.items && !merged.items) merged.items = p.items;
      }
      for (const [k, v] of Object.entries(s))
        if (!['allOf', 'properties'].includes(k) && merged[k] === undefined) merged[k] = v;
      if (s.properties) Object.assign(merged.properties, s.properties);
      if (!merged.type && Object.keys(merged.properties).length) merged.type = 'object';
      return merged;
    }
    return s;
  };
  return { normalize };
}

function typeOf(s, normalize) {
  const n = normalize(s);
  let t = n.type || (n.properties ? 'object' : n.additionalProperties ? 'object' : n.items ? 'array' : 'any');
  if (Array.isArray(t)) t = t.join('|');
  if (n.enum)
    return `${t}(enum:${n.enum.map((e) => (typeof e === 'object' ? JSON.stringify(e) : String(e))).join(',')})`;
  if (
    t === 'object' &&
    n.additionalProperties !== undefined &&
    !(n.properties && Object.keys(n.properties).length)
  ) {
    const ap = n.additionalProperties;
    const vt =
      ap === true || (ap && Object.keys(ap).length === 0)
        ? 'any'
        : ap === false
          ? 'none'
          : typeOf(ap, normalize);
    return `object(map:${vt})`;
  }
  if (t === 'array') return `array(${n.items ? typeOf(n.items, normalize) : 'any'})`;
  return t;
}

function flatten(schema, normalize) {
  const out = [];
  const walk = (s, prefix, depth) => {
    if (depth > MAX_DEPTH) return;
    const n = normalize(s);
    const props = n.properties || {};
    if (Object.keys(props).length) {
      for (const [k, v] of Object.entries(props)) {
        const p = prefix ? `${prefix}.${k}` : k;
        out.push([p, typeOf(v, normalize)]);
        descend(v, p, depth + 1);
      }
    }
    // object with both properties and additionalProperties: also descend into map values
    if (n.additionalProperties && typeof n.additionalProperties === 'object' && Object.keys(props).length) {
      descend({ type: 'object', additionalProperties: n.additionalProperties }, prefix, depth);
    }
  };
  const descend = (v, p, depth) => {
    if (depth > MAX_DEPTH) return;
    const n = normalize(v);
    const t = n.type || (n.properties ? 'object' : n.items ? 'array' : undefined);
    if (t === 'array' && n.items) {
      const it = normalize(n.items);
      if (it.properties || it.allOf) walk(n.items, `${p}[]`, depth);
      else if (it.type === 'array' || it.items) descend(n.items, `${p}[]`, depth + 1);
      else if (it.additionalProperties && typeof it.additionalProperties === 'object')
        descend(n.items, `${p}[]`, depth + 1);
      return;
    }
    if (n.properties && Object.keys(n.properties).length) {
      walk(v, p, depth);
      return;
    }
    if (n.additionalProperties && typeof n.additionalProperties === 'object') {
      const ap = normalize(n.additionalProperties);
      if (ap.properties || ap.allOf) walk(n.additionalProperties, `${p}{}`, depth);
      else if (ap.type === 'array' || ap.items) {
        out.push([`${p}{}`, typeOf(n.additionalProperties, normalize)]);
        descend(n.additionalProperties, `${p}{}`, depth + 1);
      } else if (ap.additionalProperties && typeof ap.additionalProperties === 'object') {
        out.push([`${p}{}`, typeOf(n.additionalProperties, normalize)]);
        descend(n.additionalProperties, `${p}{}`, depth + 1);
      }
    }
  };
  walk(schema, '', 0);
  return out;
}

const result = {};
const meta = {};
for (const [api, tag] of Object.entries(TAGS)) {
  const file = `${SRC}/${tag}/api/swagger.yaml`;
  const doc = parseSwagger(fs.readFileSync(file, 'utf8'), file);
  if (String(doc.info.version) !== api)
    throw new Error(`${file} is API ${doc.info.version}, expected ${api}`);
  const { normalize } = makeResolver(doc);
  result[api] = {};
  for (const [name, [p, m]] of Object.entries(BODIES)) {
    const op = doc.paths[p]?.[m];
    const body = op?.parameters?.find((x) => x.in === 'body');
    if (!body) {
      result[api][name] = null;
      continue;
    }
    result[api][name] = flatten(body.schema, normalize);
  }
  meta[api] = { engine: tag, file: `moby/moby@${tag}:api/swagger.yaml` };
}
fs.writeFileSync(new URL('bodies.json', OUT), JSON.stringify(result, null, 1) + '\n');
for (const [api, b] of Object.entries(result))
  console.log(
    api,
    Object.entries(b)
      .map(([k, v]) => `${k}:${v ? v.length : 'null'}`)
      .join(' '),
  );
