import type { ConfigProblem } from './problems.js';
import type { FileSpec, HostSpec } from './schema.js';
import type { Locator } from './source.js';

/**
 * `files:` entries that name the same destination twice in one list: which one wins would depend on the
 * order of writes. (A host's entry for a destination of spec.files is not a duplicate: it wins, by design.)
 */
export function fileProblems(
  clusterFiles: readonly FileSpec[],
  hosts: readonly HostSpec[],
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const duplicates = (files: readonly FileSpec[], path: readonly PropertyKey[]): void => {
    const seen = new Map<string, number>();
    files.forEach((file, i) => {
      const first = seen.get(file.destination);
      if (first === undefined) seen.set(file.destination, i);
      else
        problems.push(
          loc.problem(
            'error',
            [...path, i, 'destination'],
            `duplicate destination ${file.destination}: ${[...path].join('.').replace(/\.(\d+)/g, '[$1]')}[${first}] has it too`,
          ),
        );
    });
  };
  duplicates(clusterFiles, ['spec', 'files']);
  hosts.forEach((host, i) => duplicates(host.files ?? [], ['spec', 'hosts', i, 'files']));
  return problems;
}
