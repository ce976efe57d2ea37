import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import { clusterSchema, type ClusterConfig } from './schema.js';

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

export interface LoadedCluster {
  path: string;
  config: ClusterConfig;
  warnings: ConfigProblem[];
}

/** Loads, substitutes and validates a cluster file. Throws UsageError listing every problem (exit 2). */
export async function loadCluster(
  path: string,
  _env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedCluster> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${path}: ${error.code ?? error.message}`, {
      code: 'ECONFIG',
      suggestions: ['Write one with `eectl init`, or name another with -c FILE.'],
    });
  });
  const result = clusterSchema.safeParse(parse(text));
  if (!result.success) {
    throw new UsageError(`${path} is not valid:\n${result.error.message}`, { code: 'ECONFIG' });
  }
  return { path, config: result.data, warnings: [] };
}
