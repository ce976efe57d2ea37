import { CommandHelp, Help } from '@oclif/core';
import { stripVTControlCharacters } from 'node:util';
import { EXIT_CODE_MEANINGS } from '../errors.js';

/**
 * eectl's `--help` of a command (package.json `oclif.helpClass`): oclif's, with every flag column
 * lined up and an EXIT CODES table at the end.
 */
export class EectlCommandHelp extends CommandHelp {
  protected override sections(): ReturnType<CommandHelp['sections']> {
    return [
      ...super.sections(),
      {
        header: 'EXIT CODES',
        generate: (_, header) => [
          {
            header,
            body: Object.entries(EXIT_CODE_MEANINGS).map(([code, meaning]): [string, string] => [
              code,
              meaning,
            ]),
          },
        ],
      },
    ];
  }

  /**
   * oclif trims the rendered list as a whole, which takes the first row's indentation with it: a first
   * flag without a short name (`--accept-new-host-keys`, `--json`) then starts two columns left of the
   * `-y, --yes` and `    --dry-run` rows under it. The first row gets its indentation back.
   */
  override renderList(
    input: (string | undefined)[][],
    opts: Parameters<CommandHelp['renderList']>[1],
  ): string {
    const out = super.renderList(input, opts);
    const first = stripVTControlCharacters(input[0]?.[0] ?? '');
    const lead = /^ */.exec(first)![0];
    // In oclif's multiline layout (long descriptions) every label is trimmed alike: nothing to put back.
    const sameLine = stripVTControlCharacters(out.split('\n')[0] ?? '').length > first.trim().length;
    return lead && sameLine && !opts.multiline ? `${lead}${out}` : out;
  }
}

/** The help class oclif loads for `eectl … --help`. */
export default class EectlHelp extends Help {
  protected override CommandHelpClass = EectlCommandHelp;
}
