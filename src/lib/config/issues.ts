import { z } from 'zod';
import { closest } from './did-you-mean.js';
import type { ConfigProblem } from './problems.js';
import type { DocPath, Locator } from './source.js';

type Issue = z.core.$ZodIssue;

// Zod's own messages ("Invalid input: expected string, received number") are replaced by ours; messages
// the schema spells out (regexes, "must list at least one host") are kept. This marks "zod's default".
const DEFAULT_MESSAGE = '\u0000default';

/**
 * Validates data against a schema and returns every problem, worded for people and placed on the line
 * that causes it. Problems under `skipPaths` (values whose variables could not be substituted) are
 * dropped: their cause was already reported.
 */
export function schemaProblems<S extends z.ZodType>(
  schema: S,
  data: unknown,
  loc: Locator,
  skipPaths: ReadonlySet<string> = new Set(),
): { data?: z.output<S>; problems: ConfigProblem[] } {
  const result = schema.safeParse(data, { reportInput: true, error: () => DEFAULT_MESSAGE });
  if (result.success) return { data: result.data, problems: [] };
  const context: Context = { schema, data, loc };
  const problems = result.error.issues
    .flatMap((issue) => issueProblems(issue, [], context))
    .filter((p) => ![...skipPaths].some((skip) => p.path === skip || p.path.startsWith(`${skip}.`)));
  return { problems };
}

interface Context {
  schema: z.ZodType;
  data: unknown;
  loc: Locator;
}

function issueProblems(issue: Issue, prefix: DocPath, ctx: Context): ConfigProblem[] {
  const { schema, loc } = ctx;
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_union':
      return unionProblems(issue, path, ctx);
    case 'unrecognized_keys':
      return issue.keys.map((key) =>
        loc.problem('error', [...path, key], unknownKeyMessage(schema, path, key, issue.input), 'key'),
      );
    default: {
      if (isAbsent(ctx.data, path)) return [loc.problem('error', path, 'is required', 'parent')];
      const message = issue.message === DEFAULT_MESSAGE ? describeIssue(issue, path, loc) : issue.message;
      return [loc.problem('error', path, message)];
    }
  }
}

/** True when the map at path's parent exists but has no such key: a missing key, whatever zod calls it. */
function isAbsent(data: unknown, path: DocPath): boolean {
  let node = data;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return false;
    if (!(String(key) in node)) return true;
    node = (node as Record<string, unknown>)[String(key)];
  }
  return node === undefined;
}

/** A union failed every option: say which shapes it takes, or report the option the value was closest to. */
function unionProblems(issue: z.core.$ZodIssueInvalidUnion, path: DocPath, ctx: Context): ConfigProblem[] {
  const { schema, loc } = ctx;
  const options = issue.errors;
  const shapes = objectKeysAt(schema, path).map((keys) => keys.join('/'));
  const isObject = typeof issue.input === 'object' && issue.input !== null && !Array.isArray(issue.input);
  if (!isObject && shapes.length > 0) {
    return [loc.problem('error', path, `must be a map with one of: ${shapes.join(', ')}`)];
  }
  const onlyMissingKeys = options.every((o) =>
    o.every((i) => i.path.length === 1 && isAbsent(ctx.data, [...path, ...i.path])),
  );
  if (onlyMissingKeys && shapes.length > 0) {
    return [loc.problem('error', path, `needs one of: ${shapes.join(', ')}`)];
  }
  // The option the value meant is the one that did not reject its keys outright, with the fewest issues.
  const score = (o: Issue[]) =>
    (o.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0) ? 1000 : 0) + o.length;
  const best = [...options].sort((a, b) => score(a) - score(b))[0];
  if (!best || best.length === 0) return [loc.problem('error', path, 'is not valid')];
  return best.flatMap((i) => issueProblems(i, path, ctx));
}

function unknownKeyMessage(schema: z.ZodType, path: DocPath, key: string, input: unknown): string {
  const shapes = objectKeysAt(schema, path);
  const written = input && typeof input === 'object' ? Object.keys(input) : [];
  // A key of another union option (storage with both filesystem and s3) is a choice, not a typo.
  const chosen = shapes.find((keys) => !keys.includes(key) && keys.some((k) => written.includes(k)));
  if (chosen && shapes.some((keys) => keys.includes(key))) {
    const other = chosen.find((k) => written.includes(k)) ?? '';
    return `"${key}" cannot be combined with "${other}": use one of them`;
  }
  const allowed = [...new Set(shapes.flat())];
  const guess = closest(key, allowed);
  if (guess) return `unknown key "${key}" (did you mean "${guess}"?)`;
  return allowed.length > 0
    ? `unknown key "${key}" (expected one of ${allowed.join(', ')})`
    : `unknown key "${key}"`;
}

function describeIssue(issue: Issue, path: DocPath, loc: Locator): string {
  switch (issue.code) {
    case 'invalid_type':
      return typeMessage(issue.expected, issue.input, loc.sourceText(path));
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return sizeMessage('at most', issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_format':
      return formatMessage(issue);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_key':
      return 'has a key that is not valid';
    default:
      return 'is not valid';
  }
}

const NOUNS: Record<string, string> = {
  object: 'a map',
  record: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function typeMessage(expected: string, input: unknown, written: string | undefined): string {
  const noun = NOUNS[expected] ?? expected;
  if (input === null) return `must be ${noun}, but it is empty`;
  // YAML turns `version: 26.10` into the number 26.1 and `yes` into a string: say how to write it.
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return `must be a string: put it in quotes, "${written ?? String(input)}"`;
  }
  if ((expected === 'number' || expected === 'int') && typeof input === 'string' && input.trim() !== '') {
    if (!Number.isNaN(Number(input))) return `must be ${noun}, not the string "${input}": remove the quotes`;
  }
  if (expected === 'int' && typeof input === 'number') return `must be a whole number, not ${input}`;
  if (expected === 'boolean' && typeof input === 'string' && /^(yes|no|on|off|y|n)$/i.test(input)) {
    return `must be true or false ("${input}" is a string in YAML 1.2)`;
  }
  return `must be ${noun}, not ${describeValue(input)}`;
}

function describeValue(input: unknown): string {
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a map';
  if (typeof input === 'string') return `the string "${input}"`;
  return typeof input === 'number' ? `the number ${input}` : String(input);
}

function sizeMessage(
  bound: 'at least' | 'at most',
  origin: string,
  limit: number,
  inclusive: boolean,
): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (origin === 'string') {
    return limit === 1 && bound === 'at least'
      ? 'must not be empty'
      : `must be ${bound} ${plural(limit, 'character')} long`;
  }
  if (origin === 'array' || origin === 'set') {
    return limit === 1 && bound === 'at least'
      ? 'must not be empty'
      : `must have ${bound} ${plural(limit, 'item')}`;
  }
  if (inclusive) return `must be ${bound} ${limit}`;
  return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${limit}`;
}

function formatMessage(issue: z.core.$ZodIssueInvalidStringFormat): string {
  switch (issue.format) {
    case 'url':
      return 'must be a URL starting with http://, https:// or file://';
    case 'cidrv4':
      return 'must be an IPv4 CIDR such as 10.20.0.0/16';
    case 'regex':
      return `must match ${issue.pattern ?? 'the expected pattern'}`;
    default:
      return `must be a valid ${issue.format}`;
  }
}

/** The key sets the schema allows for the map at path: one per union option, usually just one. */
function objectKeysAt(schema: z.ZodType, path: DocPath): string[][] {
  let nodes = [schema];
  for (const key of path) nodes = nodes.flatMap((node) => childSchemas(node, key));
  return nodes
    .flatMap((node) => options(node))
    .filter((node): node is z.ZodObject => node instanceof z.ZodObject)
    .map((node) => Object.keys(node.shape));
}

function childSchemas(schema: z.ZodType, key: PropertyKey): z.ZodType[] {
  return options(schema).flatMap((node): z.ZodType[] => {
    if (node instanceof z.ZodObject) {
      const child = (node.shape as Record<string, z.ZodType>)[String(key)];
      return child ? [child] : [];
    }
    if (node instanceof z.ZodArray) return typeof key === 'number' ? [node.element as z.ZodType] : [];
    if (node instanceof z.ZodRecord) return [node.valueType as z.ZodType];
    return [];
  });
}

/** The schema without optional/default wrappers, split into its options when it is a union. */
function options(schema: z.ZodType): z.ZodType[] {
  let node: z.ZodType = schema;
  for (;;) {
    if (
      node instanceof z.ZodOptional ||
      node instanceof z.ZodNullable ||
      node instanceof z.ZodDefault ||
      node instanceof z.ZodPrefault
    ) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else break;
  }
  return node instanceof z.ZodUnion ? (node.options as z.ZodType[]).flatMap(options) : [node];
}
