import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../../bin/node-version.js';
import { closest } from '../../../src/lib/cli/command-not-found.js';
import { validate, type Schema } from '../../helpers/json-schema.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../schema/output.schema.json', import.meta.url), 'utf8'),
) as Schema;

const error = { code: 'EUSAGE', message: 'bad flag', suggestions: [] };

describe('schema/output.schema.json, the --json envelope', () => {
  it('accepts a success and a failure, with or without what the command found', () => {
    expect(validate(schema, { status: 0, result: { hosts: [] } })).toEqual([]);
    expect(validate(schema, { status: 2, error })).toEqual([]);
    expect(
      validate(schema, {
        status: 1,
        error: { ...error, code: 'EEXEC', host: '10.0.0.11', log: '/root/.eectl/lab/logs/x.log' },
        result: { hosts: [{ host: '10.0.0.11', code: 3 }] },
      }),
    ).toEqual([]);
  });

  it.each([
    ['a failure without error (exec --json before)', { status: 1, result: { hosts: [] } }],
    ['a result that is an array', { status: 0, result: [] }],
    ['a success with an error', { status: 0, result: {}, error }],
    ['an exit code eectl does not have', { status: 7, error }],
    ['an error without suggestions', { status: 2, error: { code: 'EUSAGE', message: 'x' } }],
    ['a code that is not E…', { status: 2, error: { ...error, code: 'usage' } }],
    ['an empty message', { status: 2, error: { ...error, message: '' } }],
    ['a field outside the envelope', { status: 0, result: {}, warnings: [] }],
    ['oclif’s own error shape', { error: { message: 'x', name: 'Error' } }],
  ])('refuses %s', (_, value) => {
    expect(validate(schema, value)).not.toEqual([]);
  });

  it('holds the envelope bin/run.js prints on a Node that is too old', () => {
    const problem = nodeVersionProblem('v20.1.0', '/usr/bin/node', ['status', '--json'], '/nonexistent', 22);
    expect(validate(schema, JSON.parse(problem?.stdout ?? ''))).toEqual([]);
  });
});

describe('a command eectl does not have', () => {
  const ids = ['install', 'init', 'node:ls', 'node:join', 'status', 'sandbox:up'];
  it('suggests the commands a typo or a prefix away', () => {
    expect(closest('instal', ids)).toEqual(['install']);
    expect(closest('node:lss', ids)).toEqual(['node:ls']);
    expect(closest('node', ids)).toEqual(['node:join', 'node:ls']);
    expect(closest('deploy', ids)).toEqual([]);
  });
});
