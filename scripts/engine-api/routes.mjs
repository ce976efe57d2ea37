// Extract moby API routes (method, path as registered, source file, wrappers) per version.
import fs from 'node:fs';
import path from 'node:path';
// MOBY_TREES: a folder with one moby source tree per release tag, e.g. for each tag below
//   git -C moby archive <tag> api cmd/dockerd | tar -x -C "$MOBY_TREES/<tag>"
const SRC = process.env.MOBY_TREES;
if (!SRC)
  throw new Error('set MOBY_TREES to a folder of moby source trees, one per tag (see the top of this file)');
const OUT = new URL('../../test/fixtures/engine-api/', import.meta.url);
const tags = {
  1.41: 'v20.10.27',
  1.42: 'v23.0.18',
  1.43: 'v24.0.9',
  1.44: 'v25.0.17',
  1.45: 'v26.1.5',
  1.47: 'v27.5.1',
  1.51: 'v28.5.2',
};
// v28 registers the debug router as an ordinary one (GET, with and without the version prefix) after network, and grpc after it.
const orders = {
  1.51: [
    'checkpoint',
    'container',
    'image',
    'system',
    'volume',
    'build',
    'session',
    'swarm',
    'plugin',
    'distribution',
    'network',
    'debug',
    'grpc',
  ],
};
// router registration order from cmd/dockerd/daemon.go initRouter
const order = [
  'checkpoint',
  'container',
  'image',
  'system',
  'volume',
  'build',
  'session',
  'swarm',
  'plugin',
  'distribution',
  'grpc',
  'network',
];
const M = { Get: 'GET', Post: 'POST', Put: 'PUT', Delete: 'DELETE', Head: 'HEAD', Options: 'OPTIONS' };
function walk(d) {
  return fs
    .readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
}
const out = {},
  detailed = {};
for (const [api, tag] of Object.entries(tags)) {
  const base = path.join(SRC, tag, 'api/server/router');
  const rows = [],
    det = [];
  const dirs = orders[api] ?? [...order, 'debug'];
  const anyDebug = api !== '1.51';
  for (const dir of dirs) {
    const files = walk(path.join(base, dir))
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .sort((a, b) =>
        a.endsWith('/' + dir + '.go') ? -1 : b.endsWith('/' + dir + '.go') ? 1 : a.localeCompare(b),
      );
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        let m = line.match(/router\.New(Get|Post|Put|Delete|Head|Options)Route\(\s*"([^"]*)"/);
        let method, p;
        if (m) {
          method = M[m[1]];
          p = m[2];
        } else if ((m = line.match(/router\.NewRoute\(\s*"?(?:http\.Method)?(\w+)"?\s*,\s*"([^"]*)"/))) {
          method = m[1].toUpperCase();
          p = m[2];
        } else return;
        const rel = path.relative(path.join(SRC, tag), f);
        const registered = dir === 'debug' && anyDebug ? '/debug' + p : p;
        const notes = [];
        if (/router\.Experimental\b/.test(line)) notes.push('experimental-only');
        const mv = line.match(/WithMinimumAPIVersion\("([^"]+)"\)/);
        if (mv) notes.push('min-api ' + mv[1]);
        if (/\{[A-Za-z_]+:\.\*\}/.test(p)) notes.push('dot-star var');
        if (/\{[A-Za-z_]+:\.\+\}/.test(p)) notes.push('dot-plus var');
        if (dir === 'debug') notes.push('debug router: no version prefix, any method');
        rows.push([dir === 'debug' && anyDebug ? 'ANY' : method, registered]);
        det.push({
          method: dir === 'debug' && anyDebug ? 'ANY' : method,
          path: registered,
          file: `${rel}:${i + 1}`,
          notes,
        });
      });
    }
  }
  out[api] = rows;
  detailed[api] = { engine: tag, routes: det };
}
fs.writeFileSync(new URL('routes.json', OUT), JSON.stringify(out, null, 1) + '\n');
for (const [k, v] of Object.entries(out)) console.log(k, v.length);
