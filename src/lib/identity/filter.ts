import { escapeFilter } from 'ldapts';
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

export { ldapFilterProblem as filterProblem } from '../config/ldap-filter.js';
