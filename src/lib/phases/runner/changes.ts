import type { Logger } from '../../util/log.js';
import type { Change } from '../../results/report.js';

/**
 * Every change to a host goes through `apply()` (after k0sctl), so --dry-run cannot forget one: under
 * dry-run it records what would change and skips the work; otherwise it logs, records and does it.
 */
export class ChangeLog {
  readonly entries: Change[] = [];
  /** Changes made through apply() per host, so a per-host question does not scan every host's changes. */
  private readonly perHost = new Map<string, number>();

  constructor(readonly dryRun: boolean) {}

  async apply<T>(
    target: { name: string; log: Logger },
    description: string,
    work: () => Promise<T>,
  ): Promise<T | undefined> {
    this.perHost.set(target.name, (this.perHost.get(target.name) ?? 0) + 1);
    if (this.dryRun) {
      this.entries.push({ host: target.name, description, applied: false });
      target.log.info(`would ${description}`);
      return undefined;
    }
    target.log.info(description);
    const result = await work();
    this.entries.push({ host: target.name, description, applied: true });
    return result;
  }

  get count(): number {
    return this.entries.length;
  }

  /** How many changes apply() has made (or, under --dry-run, described) on a host so far. */
  countFor(host: string): number {
    return this.perHost.get(host) ?? 0;
  }

  forHost(host: string): string[] {
    return this.entries.filter((c) => c.host === host).map((c) => c.description);
  }
}
