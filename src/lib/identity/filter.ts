import { escapeFilter, FilterParser } from 'ldapts';
import type { LdapSpec } from '../config/schema.js';

/**
 * The filter that finds the users of the directory: the file's userFilter, and the name attribute present.
 * With a name, the entry of that name only: the name is escaped (RFC 4515: `*`, `(`, `)`, `\` and NUL as
 * `\2a` …), so `*)(uid=*` is a name to look for, never filter syntax.
 */
export function userSearchFilter(
  spec: Pick<LdapSpec, 'userFilter' | 'userAttribute'>,
  name?: string,
): string {
  const attr = spec.userAttribute;
  const who = name === undefined ? `(${attr}=*)` : `(${attr}=${escapeFilter`${name}`})`;
  return `(&${spec.userFilter}${who})`;
}

/** Why the file's filter cannot be read as the directory would read it, or undefined when it can. */
export function filterProblem(filter: string): string | undefined {
  try {
    FilterParser.parseString(filter);
    return undefined;
  } catch (error) {
    return `not an LDAP filter (RFC 4515): ${(error as Error).message}`;
  }
}
