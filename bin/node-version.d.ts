/** The lowest Node major eectl supports: package.json's `engines.node`. */
export function requiredNodeMajor(): number;
/** Undefined on a supported Node; otherwise the error (stderr) and, under --json, the envelope (stdout). */
export function nodeVersionProblem(
  version: string,
  execPath: string,
  argv: readonly string[],
  projectNode?: string,
  required?: number,
): { stderr: string; stdout: string | undefined } | undefined;
