import { BaseCommand, baseFlagsWithoutConfig } from '../lib/base-command.js';
import { TESTED_ENGINES, TESTED_HOSTS } from '../lib/tested.js';

/** `eectl version --json`. */
export interface VersionResult {
  eectl: string;
  node: string;
  platform: string;
  testedEngines: { version: string; package: string; from: string }[];
  testedHosts: string;
}

export default class Version extends BaseCommand<typeof Version> {
  static override baseFlags = baseFlagsWithoutConfig;
  static override summary = "Show eectl's version, its Node.js, and the engine versions it is tested with";
  static override description = `The engine versions are those the end-to-end tests install and upgrade between on every CI run, from the sandbox's package mirror; other versions a package source offers are installed the same way, but are not tested here. Reads no cluster file and reaches no host. \`eectl --version\` prints the short form (eectl/VERSION PLATFORM node-VERSION).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];

  async run(): Promise<VersionResult> {
    const result: VersionResult = {
      eectl: this.config.version,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      testedEngines: TESTED_ENGINES.map((e) => ({ ...e })),
      testedHosts: TESTED_HOSTS,
    };
    if (!this.jsonEnabled()) {
      this.log(`eectl ${result.eectl} (Node.js ${result.node}, ${result.platform})`);
      this.log(`Tested end to end on ${result.testedHosts} with:`);
      const width = Math.max(...result.testedEngines.map((e) => `${e.package} ${e.version}`.length));
      for (const e of result.testedEngines)
        this.log(`  ${`${e.package} ${e.version}`.padEnd(width)}  ${e.from}`);
    }
    return result;
  }
}
