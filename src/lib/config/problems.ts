import { UsageError } from '../errors.js';

/** A problem found in the cluster file, with its position when known. */
export interface ConfigProblem {
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  col?: number;
  /** Path into the document, e.g. `spec.hosts[2].role`. */
  path: string;
  message: string;
}

/** Every problem found in one cluster file, split by severity and in file order. */
export interface ProblemReport {
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** `cluster.yaml:12:7: spec.hosts[2].role: must be one of …`; warnings say so after the position. */
export function formatProblem(p: ConfigProblem): string {
  const pos = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  const severity = p.severity === 'warning' ? 'warning: ' : '';
  return `${pos}: ${severity}${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Orders problems as they appear in the file (position-less ones first: they concern the whole file). */
export function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

/** `2 errors, 1 warning` */
export function countProblems(report: ProblemReport): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${n(report.errors.length, 'error')}, ${n(report.warnings.length, 'warning')}`;
}

/** The cluster file has errors (exit 2). Carries every problem so `--json` output can list them. */
export class ConfigError extends UsageError {
  readonly errors: ConfigProblem[];
  readonly warnings: ConfigProblem[];

  constructor(message: string, report: ProblemReport, suggestions?: string[]) {
    super(message, {
      code: 'ECONFIG',
      suggestions: suggestions ?? [
        'Fix each problem at its FILE:LINE:COL, then check again with `eectl config validate`.',
      ],
    });
    this.errors = report.errors;
    this.warnings = report.warnings;
  }
}
