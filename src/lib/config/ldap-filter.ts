import { FilterParser } from 'ldapts';

/**
 * Why the file's filter cannot be read as the directory would read it, or undefined when it can. It must be
 * one filter in balanced parentheses: ldapts's parser fills in a missing `)`, and a filter that closes
 * early would change what `(&<userFilter>(uid=…))` means. Values cannot hold a bare parenthesis (RFC 4515
 * escapes them as \28 and \29), so counting them is exact.
 */
export function ldapFilterProblem(filter: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth < 0 || (depth === 0 && i < filter.length - 1) || (i === 0 && c !== '('))
      return 'not one filter in balanced parentheses, e.g. (objectClass=person)';
  }
  if (depth !== 0) return 'not one filter in balanced parentheses, e.g. (objectClass=person)';
  try {
    FilterParser.parseString(filter);
    return undefined;
  } catch (error) {
    return `not an LDAP filter (RFC 4515): ${(error as Error).message}`;
  }
}
