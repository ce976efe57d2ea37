import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigProblem } from './problems.js';

/** A path into the document: map keys and sequence indexes, as zod reports them. */
export type DocPath = readonly PropertyKey[];

/** Which node a problem points at: the value, its key (unknown keys), or the enclosing map (missing keys). */
export type Anchor = 'value' | 'key' | 'parent';

/** Turns document paths into `file:line:col` problems. */
export interface Locator {
  /** A problem about the node at path; anchor 'key' shows the enclosing map's path (the message names the key). */
  problem(
    severity: ConfigProblem['severity'],
    path: DocPath,
    message: string,
    anchor?: Anchor,
  ): ConfigProblem;
  /** The text of the value at path as written in the file, e.g. `26.10` for a number that lost its zero. */
  sourceText(path: DocPath): string | undefined;
}

/** `spec.hosts[2].role`; keys that are not identifiers are quoted: `labels["com.example/tier"]`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** A parsed cluster file that remembers where every node came from. */
export class ClusterSource implements Locator {
  readonly lineCounter = new LineCounter();
  readonly doc: Document;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // uniqueKeys: a key written twice is an error, not a silent last-one-wins.
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors (and the parser's warnings), each with its line and column. */
  syntaxProblems(): ConfigProblem[] {
    const toProblem =
      (severity: ConfigProblem['severity']) =>
      (e: { code: string; pos: [number, number]; message: string }) => {
        const message =
          e.code === 'DUPLICATE_KEY'
            ? `key ${keyAt(this.text, e.pos[0])} appears twice in the same map`
            : e.message.replace(/ at line \d+, column \d+.*$/s, '');
        return this.at(severity, e.pos[0], '', `YAML: ${message}`);
      };
    return [...this.doc.errors.map(toProblem('error')), ...this.doc.warnings.map(toProblem('warning'))];
  }

  /** The document as plain data (after substitution, when that ran). */
  toData(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  problem(severity: ConfigProblem['severity'], path: DocPath, message: string, anchor: Anchor = 'value') {
    // An unknown key's message names the key, so its path is the map it sits in.
    const shown = anchor === 'key' ? path.slice(0, -1) : path;
    return this.at(severity, this.offsetOf(path, anchor), formatPath(shown), message);
  }

  sourceText(path: DocPath): string | undefined {
    const node = this.nodeAt(path);
    return node?.range ? this.text.slice(node.range[0], node.range[1]).trim() : undefined;
  }

  /** A problem at a source offset (a syntax error, an unset variable inside a scalar). */
  at(severity: ConfigProblem['severity'], offset: number, path: string, message: string): ConfigProblem {
    const { line, col } = this.lineCounter.linePos(offset);
    return { severity, file: this.file, line, col, path, message };
  }

  /** The node at path, or undefined when the file does not have it (a default filled it in). */
  nodeAt(path: DocPath): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node | null) ?? undefined;
    const node: unknown = this.doc.getIn(path as unknown[], true);
    return node && typeof node === 'object' && 'range' in node ? (node as Node) : undefined;
  }

  private offsetOf(path: DocPath, anchor: Anchor): number {
    // `ssh:` with nothing after it: the empty value sits after the colon, the reader looks at the key.
    const value = this.nodeAt(path);
    const empty = isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1];
    if ((anchor === 'key' || empty) && path.length > 0) {
      const parent = this.nodeAt(path.slice(0, -1));
      const last = path[path.length - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
        if (isScalar(pair?.key) && pair.key.range) return pair.key.range[0];
      }
    }
    // For a missing key, or a value a default supplied, point at the nearest ancestor the file does have.
    let at = anchor === 'parent' ? path.slice(0, -1) : path;
    for (;;) {
      const node = this.nodeAt(at);
      if (node?.range) return node.range[0];
      if (at.length === 0) return 0;
      at = at.slice(0, -1);
    }
  }
}

/** The key a duplicate-key error points at, as written: `role`, or `"a b"` when quoted. */
function keyAt(text: string, offset: number): string {
  const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*)/.exec(text.slice(offset))?.[1]?.trim() ?? '';
  return /^["']/.test(key) ? key : `"${key}"`;
}
