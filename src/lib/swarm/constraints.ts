/**
 * Placement constraints evaluated as swarmkit evaluates them (manager/constraint/constraint.go: Parse,
 * Match, NodeMatches), for the forms eectl judges: node.id, node.hostname, node.role,
 * node.platform.os, node.platform.arch, node.labels.KEY and engine.labels.KEY, with == and !=.
 *
 * Anything else is unsupported, and the caller does not judge the service: node.ip, a key swarmkit does
 * not know, an expression swarmkit's parser refuses (the swarm refuses such a service, so it only comes
 * from a swarmkit that reads it otherwise), and any character outside ASCII in the expression (Go's
 * case-insensitive regular expressions and EqualFold treat `ſ` as `s` and the Kelvin sign as `k`, which
 * this code does not try to follow in keys and values).
 */

/** What a constraint is compared with: a swarm node as `docker node inspect` describes it. */
export interface ConstraintNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  labels: Record<string, string>;
  engineLabels: Record<string, string>;
  os: string;
  arch: string;
}

type Field = 'node.id' | 'node.hostname' | 'node.role' | 'node.platform.os' | 'node.platform.arch';

/** One parsed constraint: a node field, or a node or engine label (the label's name is case-sensitive). */
export type Constraint =
  | { field: Field; equal: boolean; value: string }
  | { field: 'node.labels' | 'engine.labels'; label: string; equal: boolean; value: string };

/** The constraints of a service, parsed; or why eectl cannot judge them. */
export type ParsedConstraints = { ok: true; constraints: Constraint[] } | { ok: false; reason: string };

const FIELDS: readonly Field[] = [
  'node.id',
  'node.hostname',
  'node.role',
  'node.platform.os',
  'node.platform.arch',
];
const NODE_LABEL_PREFIX = 'node.labels.';
const ENGINE_LABEL_PREFIX = 'engine.labels.';

/** swarmkit's operators, in the order its parser tries them: `a==b!=c` splits at `==`. */
const OPERATORS = ['==', '!='] as const;
/** swarmkit's key pattern `^(?i)[a-z_][a-z0-9\-_.]+$`, for ASCII. */
const KEY = /^[A-Za-z_][A-Za-z0-9\-_.]+$/;
/** swarmkit's value pattern, for ASCII; Go's `\s` is [\t\n\f\r ] (no \v), unlike JavaScript's. */
const VALUE = /^[A-Za-z0-9:\-_\t\n\f\r .*()?+[\]\\^$|/]+$/;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** Parses a service's constraints as swarmkit does; the first one eectl cannot judge gives the reason. */
export function parseConstraints(expressions: readonly string[]): ParsedConstraints {
  const constraints: Constraint[] = [];
  for (const expression of expressions) {
    const parsed = parseConstraint(expression);
    if (!parsed.ok) return parsed;
    constraints.push(parsed.constraint);
  }
  return { ok: true, constraints };
}

function parseConstraint(
  expression: string,
): { ok: true; constraint: Constraint } | { ok: false; reason: string } {
  const shown = JSON.stringify(expression);
  if (!ASCII.test(expression)) {
    return { ok: false, reason: `constraint ${shown} has characters outside ASCII` };
  }
  const operator = OPERATORS.find((op) => expression.includes(op));
  if (!operator) return { ok: false, reason: `constraint ${shown} has neither == nor !=` };
  const at = expression.indexOf(operator);
  // Go's strings.TrimSpace; on ASCII it trims what JavaScript's trim does (\t \n \v \f \r and space).
  const key = expression.slice(0, at).trim();
  const value = expression.slice(at + operator.length).trim();
  if (!KEY.test(key) || !VALUE.test(value)) {
    return { ok: false, reason: `constraint ${shown} is not one swarmkit accepts` };
  }
  const equal = operator === '==';
  // Keys compare case-insensitively (EqualFold); on ASCII that is comparing lower case.
  const lower = key.toLowerCase();
  const field = FIELDS.find((f) => f === lower);
  if (field) return { ok: true, constraint: { field, equal, value } };
  for (const [prefix, kind] of [
    [NODE_LABEL_PREFIX, 'node.labels'],
    [ENGINE_LABEL_PREFIX, 'engine.labels'],
  ] as const) {
    if (key.length > prefix.length && lower.startsWith(prefix)) {
      return { ok: true, constraint: { field: kind, label: key.slice(prefix.length), equal, value } };
    }
  }
  return { ok: false, reason: `constraint ${shown}: eectl does not judge ${key}` };
}

/** Whether a node meets every constraint (swarmkit's NodeMatches). */
export function nodeMeets(constraints: readonly Constraint[], node: ConstraintNode): boolean {
  return constraints.every((c) => matches(c, actual(c, node)));
}

/** The node's value a constraint compares with; a missing label is "", as in swarmkit. */
function actual(c: Constraint, node: ConstraintNode): string {
  switch (c.field) {
    case 'node.id':
      return node.id;
    case 'node.hostname':
      return node.hostname;
    case 'node.role':
      return node.role;
    case 'node.platform.os':
      return node.os;
    case 'node.platform.arch':
      return node.arch;
    case 'node.labels':
      return Object.hasOwn(node.labels, c.label) ? (node.labels[c.label] ?? '') : '';
    case 'engine.labels':
      return Object.hasOwn(node.engineLabels, c.label) ? (node.engineLabels[c.label] ?? '') : '';
  }
}

/** swarmkit's Constraint.Match: a whole-string, case-insensitive comparison, negated for !=. */
function matches(c: Constraint, what: string): boolean {
  return equalFold(c.value, what) === c.equal;
}

/** Non-ASCII characters whose Unicode simple case folding reaches an ASCII letter (Go's EqualFold). */
const FOLDS_TO_ASCII: Readonly<Record<string, string>> = { '\u212a': 'k', '\u017f': 's' };

/**
 * Go's strings.EqualFold for an ASCII `value` (parseConstraint allows no other): rune by rune, equal
 * under simple case folding. Only the Kelvin sign and the long s fold to ASCII letters, so a node whose
 * hostname or label holds them matches as it does in swarmkit.
 */
export function equalFold(value: string, what: string): boolean {
  const runes = [...what];
  if (runes.length !== value.length) return false;
  return runes.every((r, i) => {
    const folded = r.length === 1 && r.charCodeAt(0) < 0x80 ? r.toLowerCase() : FOLDS_TO_ASCII[r];
    return folded === value[i]!.toLowerCase();
  });
}
