/**
 * Fails (exit 1) on an import cycle between the folders of src/lib (part of `npm run lint`).
 *
 * Each top-level folder of src/lib is one node (host, cluster, registry …); a file directly in src/lib is a
 * node of its own (errors.ts is "errors"), except base-command.ts, which belongs to the commands layer. Every
 * relative import counts: static `import … from`, `export … from`, dynamic `import('…')`, and `import type`
 * too (a type-only cycle is still a design cycle). Imports inside one folder do not count. Each cycle found
 * is named with one example import per edge.
 *
 * The imports are read with TypeScript's own pre-processor (ts.preProcessFile: the one TypeScript uses to
 * find a file's dependencies), so a comment or a string that looks like an import does not count. ESLint's
 * import/no-cycle and madge work at the level of files, not folders: two files may form no cycle while their
 * folders do, which is what keeps a layer from sitting under another.
 *
 * The phase layer is one folder with an order inside it (NESTED): `phases/runner` (Phase, the runner, the
 * contexts), `phases/rolling` (the one rolling path), `phases/converge` (per-host work phases share) are
 * nodes of their own, and the files directly in `phases/` (one phase each) are the node `phases`. Each of
 * those subfolders may import only the ones listed before it, and none imports a phase file: shared work
 * never reaches up into the phases that use it. A violation is reported even when no cycle closes.
 *
 * Usage: node scripts/folder-cycles.mjs [root]   (root defaults to src/lib)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Files directly in the root that are not a node: they belong to a layer outside it. */
const LEFT_OUT = new Set(['base-command.ts']);

/** Folders whose listed subfolders are nodes of their own, bottom up: each may import only those before it. */
export const NESTED = { phases: ['runner', 'rolling', 'converge'] };

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The .ts file a relative import names, or undefined when there is none (a .json, a missing file). */
function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [
    base.replace(/\.(m?js)$/, (_, ext) => (ext === 'mjs' ? '.mts' : '.ts')),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/** The node of a file under root, or undefined for a file left out or outside root. */
function nodeOf(root, file) {
  const rel = relative(root, file);
  if (rel.startsWith('..') || rel === '') return undefined;
  const parts = rel.split(sep);
  if (parts.length === 1) return LEFT_OUT.has(parts[0]) ? undefined : parts[0].replace(/\.ts$/, '');
  if (parts.length > 2 && NESTED[parts[0]]?.includes(parts[1])) return `${parts[0]}/${parts[1]}`;
  return parts[0];
}

/**
 * Imports against the order inside a nested folder: a listed subfolder importing one listed after it, or the
 * folder's own files (its phases). Each as { from, to, example }.
 */
export function nestedViolations(root, edges = folderEdges(root)) {
  const found = [];
  for (const [folder, order] of Object.entries(NESTED)) {
    order.forEach((sub, i) => {
      const from = `${folder}/${sub}`;
      const allowed = new Set(order.slice(0, i).map((s) => `${folder}/${s}`));
      for (const [to, example] of edges.get(from) ?? []) {
        if (to === folder || (to.startsWith(`${folder}/`) && !allowed.has(to)))
          found.push({ from, to, example });
      }
    });
  }
  return found.sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`));
}

/** Edges between folders: Map<from, Map<to, example>> with one example import ("file imports 'spec'"). */
export function folderEdges(root) {
  root = resolve(root);
  const edges = new Map();
  for (const file of tsFiles(root)) {
    const from = nodeOf(root, file);
    if (from === undefined) continue;
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (!spec.startsWith('.')) continue;
      const target = resolveImport(file, spec);
      if (target === undefined) continue;
      const to = nodeOf(root, target);
      if (to === undefined || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      const out = edges.get(from);
      if (!out.has(to)) out.set(to, `${relative(process.cwd(), file)} imports '${spec}'`);
    }
  }
  return edges;
}

/** Strongly connected components of more than one node (Tarjan), each sorted, in a stable order. */
function components(edges) {
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].sort();
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * One shortest cycle through each edge of a component that is not yet on a reported cycle: every edge that
 * takes part in a cycle is shown once, without listing every elementary cycle (a large knot has thousands).
 */
function cyclesOf(scc, edges) {
  const inScc = new Set(scc);
  const covered = new Set();
  const cycles = [];
  const shortestPath = (from, to) => {
    const prev = new Map([[from, undefined]]);
    const queue = [from];
    while (queue.length > 0) {
      const v = queue.shift();
      if (v === to) break;
      for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
        if (inScc.has(w) && !prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [];
    for (let v = to; v !== undefined; v = prev.get(v)) path.unshift(v);
    return path;
  };
  for (const a of scc) {
    for (const b of [...(edges.get(a)?.keys() ?? [])].sort()) {
      if (!inScc.has(b) || covered.has(`${a}>${b}`)) continue;
      const cycle = [a, ...shortestPath(b, a)];
      for (let i = 0; i + 1 < cycle.length; i++) covered.add(`${cycle[i]}>${cycle[i + 1]}`);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/** The cycles between the folders of root: each a list of nodes ending where it starts, with its edges. */
export function folderCycles(root) {
  const edges = folderEdges(root);
  return components(edges).flatMap((scc) =>
    cyclesOf(scc, edges).map((nodes) => ({
      nodes,
      edges: nodes.slice(1).map((to, i) => ({ from: nodes[i], to, example: edges.get(nodes[i]).get(to) })),
    })),
  );
}

function main() {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lib');
  const cycles = folderCycles(root);
  const violations = nestedViolations(root);
  const shown = relative(process.cwd(), root) || '.';
  if (cycles.length === 0 && violations.length === 0) {
    console.log(
      `folder-cycles: no import cycle between the folders of ${shown}, and the phase layer's order holds`,
    );
    return;
  }
  if (cycles.length > 0) {
    console.error(`folder-cycles: ${cycles.length} import cycle(s) between the folders of ${shown}:`);
    for (const { nodes, edges } of cycles) {
      console.error(`\n  ${nodes.join(' → ')}`);
      for (const { from, to, example } of edges) console.error(`    ${from} → ${to}: ${example}`);
    }
  }
  if (violations.length > 0) {
    const order = Object.entries(NESTED).map(
      ([f, subs]) => `${subs.map((s) => `${f}/${s}`).join(' < ')} < ${f}`,
    );
    console.error(`\nfolder-cycles: ${violations.length} import(s) against the order ${order.join('; ')}:`);
    for (const { from, to, example } of violations) console.error(`  ${from} → ${to}: ${example}`);
  }
  console.error('\nMove the shared code to the lower folder (docs/architecture.md, "The layers").');
  process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
