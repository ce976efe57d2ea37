import { checkClusterText, type ClusterCheck } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';

/** Lines 1–5 of every test document; what follows starts at line 6, inside spec. */
export const HEAD = `apiVersion: eectl/v1
kind: Cluster
metadata:
  name: t
spec:
`;

/** Three managers: a valid hosts list (lines 6–12) that raises no warning. */
export const THREE_MANAGERS = `  hosts:
    - address: 10.0.0.1
      role: manager
    - address: 10.0.0.2
      role: manager
    - address: 10.0.0.3
      role: manager
`;

export function check(text: string, env: NodeJS.ProcessEnv = {}): ClusterCheck {
  return checkClusterText(text, { file: 'cluster.yaml', env, baseDir: '/clusters/prod', home: '/home/ops' });
}

/** Every problem as `eectl config validate` prints it, in file order. */
export function lines(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const { errors, warnings } = check(text, env);
  return [...errors, ...warnings]
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
    .map(formatProblem);
}
