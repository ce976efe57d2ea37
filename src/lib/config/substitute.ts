import { isAlias, isMap, isPair, isScalar, isSeq, parse, type Node, type Scalar } from 'yaml';
import type { ConfigProblem } from './problems.js';
import { formatPath, type ClusterSource, type DocPath } from './source.js';

// $$ | ${NAME} | ${NAME:-default} | $NAME | a malformed ${...
const REFERENCE =
  /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\{[^}]*\}?))/g;

/** What substitution found: problems (unset or malformed references) and the paths they make unreliable. */
export interface Substitution {
  problems: ConfigProblem[];
  /** Values left as written because a reference in them failed: schema errors there would be noise. */
  failedPaths: Set<string>;
}

/**
 * Replaces `$VAR`, `${VAR}` and `${VAR:-default}` in every string value of the document with the
 * environment's values (`$$` is a literal `$`). Runs on the parsed document, not on the text, so a
 * value can never break the YAML around it and every position stays where the file has it. Keys are left
 * alone, and so are hook scripts (`isHookScript`). An unquoted value that becomes a number or boolean
 * (`port: $SSH_PORT`) is typed as one.
 */
export function substituteEnv(source: ClusterSource, env: NodeJS.ProcessEnv): Substitution {
  const result: Substitution = { problems: [], failedPaths: new Set() };
  walk(source.doc.contents as Node | null, [], (scalar, path) => {
    if (typeof scalar.value !== 'string' || !scalar.value.includes('$') || isHookScript(path)) return;
    const written = scalar.value;
    let failed = false;
    const fail = (token: string, index: number, message: string) => {
      failed = true;
      result.problems.push(
        source.at('error', offsetOf(source, scalar, token, index), formatPath(path), message),
      );
    };
    const value = written.replace(
      REFERENCE,
      (
        token,
        dollar?: string,
        braced?: string,
        fallback?: string,
        bare?: string,
        malformed?: string,
        index = 0,
      ) => {
        if (dollar) return '$';
        if (malformed !== undefined) {
          fail(token, index, `"${token}" is not a variable reference: write \${NAME}, or $$ for a literal $`);
          return token;
        }
        const name = (braced ?? bare) as string;
        const set = env[name];
        if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
        if (set !== undefined) return set;
        fail(token, index, `environment variable ${name} is not set (set it, or write \${${name}:-default})`);
        return token;
      },
    );
    if (failed) {
      result.failedPaths.add(formatPath(path));
      return;
    }
    scalar.value = scalar.type === 'PLAIN' ? retype(value) : value;
  });
  return result;
}

/**
 * `spec.hooks.<action>.<stage>[i].run`: a hook's script is the user's shell, run on the host as written, so
 * its `$VAR` is the host shell's (EECTL_HOST, HOME), never a value of this machine's environment.
 */
export function isHookScript(path: DocPath): boolean {
  return path.length === 6 && path[0] === 'spec' && path[1] === 'hooks' && path[5] === 'run';
}

function walk(node: Node | null, path: PropertyKey[], visit: (scalar: Scalar, path: DocPath) => void): void {
  if (isScalar(node)) visit(node, path);
  else if (isSeq(node)) node.items.forEach((item, i) => walk(item as Node, [...path, i], visit));
  else if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || isAlias(pair.value)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      walk(pair.value as Node | null, [...path, key], visit);
    }
  }
}

/** An unquoted `$PORT` that became `22` means the number 22, as if the file had said so. */
function retype(value: string): string | number | boolean {
  if (!/^[-+.\d]|^(true|false)$/i.test(value)) return value;
  try {
    const typed: unknown = parse(value);
    return typeof typed === 'number' || typeof typed === 'boolean' ? typed : value;
  } catch {
    return value;
  }
}

/**
 * Where a reference sits in the file. The written source is never shorter than the value before the
 * reference (quotes, escapes and indentation only add characters), so searching from the value's index
 * finds the right occurrence.
 */
function offsetOf(source: ClusterSource, scalar: Scalar, token: string, index: number): number {
  const [start, end] = scalar.range ?? [0, 0];
  const at = source.text.slice(start, end).indexOf(token, index);
  return at === -1 ? start : start + at;
}
