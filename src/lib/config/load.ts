import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { p256PublicKey } from '../util/p256-key.js';
import { dirname, resolve } from 'node:path';
import { relationProblems } from './checks.js';
import { localFileProblems } from './files.js';
import { schemaProblems } from './issues.js';
import { resolveConfigPaths } from './paths.js';
import { loadRepoKey } from './repo-key.js';
import {
  byPosition,
  ConfigError,
  formatProblem,
  type ConfigProblem,
  type ProblemReport,
} from './problems.js';
import { clusterSchema, type ClusterConfig } from './schema.js';
import { ClusterSource, type DocPath } from './source.js';
import { substituteEnv } from './substitute.js';

export { ConfigError, formatProblem, type ConfigProblem, type ProblemReport } from './problems.js';

export interface LoadedCluster {
  path: string;
  config: ClusterConfig;
  warnings: ConfigProblem[];
}

/** What checking a cluster file found; `config` is there when there are no errors. */
export interface ClusterCheck extends ProblemReport {
  config?: ClusterConfig;
}

export interface CheckOptions {
  /** The name problems are reported under, as the user wrote it (`cluster.yaml`). */
  file: string;
  env?: NodeJS.ProcessEnv;
  /** Relative paths in the file are relative to this directory (the file's own). */
  baseDir?: string;
  home?: string;
  /** Reads a file the cluster file names (its keys are checked at load); without it, no file is read. */
  readFile?: (path: string) => string;
  /** Also check that local files the config names (SSH keys) exist and can be read. */
  checkFiles?: boolean;
}

/** Loads, substitutes and validates a cluster file. Throws ConfigError (a UsageError, exit 2) listing every error. */
export async function loadCluster(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedCluster> {
  const check = await checkClusterFile(path, env);
  if (!check.config || check.errors.length > 0) {
    const count = `${check.errors.length} error${check.errors.length === 1 ? '' : 's'}`;
    throw new ConfigError(`${path} has ${count}:\n${check.errors.map(formatProblem).join('\n')}`, check);
  }
  return { path, config: check.config, warnings: check.warnings };
}

/** Reads and checks a cluster file; every problem is returned, none thrown, unless the file cannot be read. */
export async function checkClusterFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClusterCheck> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    const reason = READ_ERRORS[error.code ?? ''] ?? error.code ?? error.message;
    const problem: ConfigProblem = {
      severity: 'error',
      file: path,
      path: '',
      message: `cannot read: ${reason}`,
    };
    throw new ConfigError(`cannot read ${path}: ${reason}`, { errors: [problem], warnings: [] }, [
      'Write one with `eectl init`, or name another with -c FILE (or EECTL_CONFIG).',
    ]);
  });
  return checkClusterText(text, {
    file: path,
    env,
    baseDir: dirname(resolve(path)),
    readFile: (p) => readFileSync(p, 'utf8'),
    checkFiles: true,
  });
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/**
 * Checks cluster file text: YAML syntax, then `$VAR` substitution, then the schema, then the relations
 * between fields (checks.ts). Without I/O, so tests can feed it small documents.
 */
export function checkClusterText(text: string, options: CheckOptions): ClusterCheck {
  const source = new ClusterSource(options.file, text);
  const syntax = source.syntaxProblems();
  if (syntax.some((p) => p.severity === 'error')) return report(syntax);

  const substitution = substituteEnv(source, options.env ?? process.env);
  const data = source.toData();
  if (data === null || data === undefined) {
    return report([source.at('error', 0, '', 'the file is empty: write one with `eectl init`')]);
  }
  const schema = schemaProblems(clusterSchema, data, source, substitution.failedPaths);
  // Relations read values; with a variable missing they would be judged on `$VAR` text.
  const relations = substitution.problems.length === 0 ? relationProblems(data, source) : [];
  const result = report([...syntax, ...substitution.problems, ...schema.problems, ...relations]);
  if (schema.data && result.errors.length === 0) {
    resolveConfigPaths(schema.data, options.baseDir ?? process.cwd(), options.home);
    const files = [
      ...(options.readFile ? keyFileProblems(schema.data, source, options.readFile) : []),
      ...(options.checkFiles ? localFileProblems(schema.data, source) : []),
    ];
    if (files.length > 0) return report([...problems(result), ...files]);
    const { repoKey } = schema.data.spec.engine;
    const keyProblem = options.readFile && repoKey ? loadRepoKey(repoKey) : undefined;
    if (keyProblem)
      return report([
        ...problems(result),
        source.problem('error', ['spec', 'engine', 'repoKey'], keyProblem),
      ]);
    result.config = schema.data;
  }
  return result;
}

const problems = (r: ProblemReport): ConfigProblem[] => [...r.errors, ...r.warnings];

/** Every public key of the image policy must be a readable cosign key (ECDSA P-256 PEM). */
function keyFileProblems(
  config: ClusterConfig,
  source: ClusterSource,
  read: (path: string) => string,
): ConfigProblem[] {
  const policy = config.spec.images.policy;
  const entries: [DocPath, string][] = [
    ...policy.keys.map((k, i): [DocPath, string] => [['spec', 'images', 'policy', 'keys', i], k]),
    ...policy.trust.flatMap((scope, i) =>
      scope.keys.map((k, j): [DocPath, string] => [['spec', 'images', 'policy', 'trust', i, 'keys', j], k]),
    ),
  ];
  const found: ConfigProblem[] = [];
  for (const [at, path] of entries) {
    let text: string;
    try {
      text = read(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      found.push(source.problem('error', at, `cannot read the key ${path}: ${READ_ERRORS[code] ?? code}`));
      continue;
    }
    try {
      p256PublicKey(text);
    } catch (error) {
      found.push(source.problem('error', at, `${path}: ${(error as Error).message}`));
    }
  }
  return found;
}

function report(problems: ConfigProblem[]): ClusterCheck {
  const sorted = [...problems].sort(byPosition);
  return {
    errors: sorted.filter((p) => p.severity === 'error'),
    warnings: sorted.filter((p) => p.severity === 'warning'),
  };
}
