#!/usr/bin/env node
// The Node version is checked before anything else is loaded: eectl's code (and its libraries) need the
// version of package.json's `engines.node`, and on an older Node they fail far from the cause, or not at
// all until a run is half done. Keep this file to syntax every Node since 14 parses (no top-level await,
// no import attributes): an older Node must get as far as the message.
import * as nodeModule from 'node:module';
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version, process.execPath, process.argv.slice(2));
if (problem !== undefined) {
  if (problem.stdout) process.stdout.write(problem.stdout);
  process.stderr.write(problem.stderr);
  process.exitCode = 2;
} else {
  // V8's compiled code for eectl and its libraries, kept on disk (Node's own cache, under the temp
  // folder): a run then compiles only what changed, instead of every module on every start.
  if (typeof nodeModule.enableCompileCache === 'function') nodeModule.enableCompileCache();
  import('@oclif/core').then(({ execute }) => execute({ dir: import.meta.url }));
}
