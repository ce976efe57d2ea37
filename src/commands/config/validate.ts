import { BaseCommand } from '../../lib/base-command.js';
import { checkClusterFile } from '../../lib/config/load.js';
import {
  byPosition,
  ConfigError,
  countProblems,
  formatProblem,
  type ConfigProblem,
} from '../../lib/config/problems.js';

/** `eectl config validate --json` result: `valid` is false exactly when `errors` is not empty. */
export interface ValidateResult {
  valid: boolean;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static override summary = 'Check the cluster file and print every problem with file:line:col';
  static override description = `Reads the cluster file (-c, default ./cluster.yaml), substitutes $VAR and \${VAR:-default} from the environment, and checks it against the schema and the rules between fields: a manager exists, addresses are unique, registry replicas share storage, the manager count tolerates failures.

Every problem is printed, errors and warnings, as FILE:LINE:COL: PATH: MESSAGE, then a summary. Exits 2 when there are errors, 0 otherwise (warnings alone do not fail). With --json the result is {valid, errors, warnings}, each problem with file, line, col, path and message; the exit code is the same.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml',
    'EECTL_CONFIG=prod.yaml <%= config.bin %> <%= command.id %> --json',
  ];

  async run(): Promise<ValidateResult> {
    const file = this.flags.config;
    const check = await checkClusterFile(file);
    const human = !this.jsonEnabled();
    const problems = [...check.errors, ...check.warnings].sort(byPosition);
    if (human) for (const problem of problems) this.log(formatProblem(problem));
    // The summary is the error's own line, so errors end as every eectl error does: code, message, "try this".
    if (check.errors.length > 0) {
      throw new ConfigError(`${file} is not valid: ${countProblems(check)}`, check);
    }
    const warned = check.warnings.length;
    if (human)
      this.log(`${file}: valid${warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`);
    return { valid: true, errors: [], warnings: check.warnings };
  }

  protected override toErrorJson(err: unknown): unknown {
    const json = super.toErrorJson(err) as Record<string, unknown>;
    if (!(err instanceof ConfigError)) return json;
    const result: ValidateResult = { valid: false, errors: err.errors, warnings: err.warnings };
    return { ...json, result };
  }
}
