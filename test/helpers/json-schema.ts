/**
 * A JSON Schema (draft-07) checker for the keywords schema/output.schema.json uses, so the tests read the
 * schema file itself rather than a copy of its rules. A keyword it does not know is an error, not ignored:
 * a schema that grows one fails here until the checker knows it.
 */
export interface Schema {
  [keyword: string]: unknown;
}

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'const',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'oneOf',
  'pattern',
  'minLength',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Every way `value` breaks `schema`, as `path: problem` lines; empty when it is valid. */
export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new Error(`json-schema checker: unknown keywords ${unknown.join(', ')}`);
  const problems: string[] = [];
  const type = schema.type as string | undefined;
  if (type !== undefined) {
    const actual = typeOf(value);
    if (!(actual === type || (type === 'number' && actual === 'integer')))
      return [`${path}: ${actual}, not ${type}`];
  }
  if ('const' in schema && value !== schema.const)
    problems.push(`${path}: ${JSON.stringify(value)}, not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${path}: ${JSON.stringify(value)}, not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      problems.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      problems.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value) && schema.items !== undefined)
    value.forEach((item, i) => problems.push(...validate(schema.items as Schema, item, `${path}[${i}]`)));
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[])
      if (!(key in object)) problems.push(`${path}: ${key} is missing`);
    for (const [key, v] of Object.entries(object)) {
      if (key in properties) problems.push(...validate(properties[key]!, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}: ${key} is not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        problems.push(...validate(schema.additionalProperties as Schema, v, `${path}.${key}`));
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const results = (schema.oneOf as Schema[]).map((s) => validate(s, value, path));
    const passed = results.filter((r) => r.length === 0).length;
    if (passed !== 1)
      problems.push(
        passed === 0
          ? `${path}: matches none of oneOf: ${results.map((r, i) => `[${i}] ${r.join('; ')}`).join(' | ')}`
          : `${path}: matches ${passed} of oneOf, not exactly one`,
      );
  }
  return problems;
}
