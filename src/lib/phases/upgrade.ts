import type { ClusterLock } from '../cluster/lock.js';
import type { ClusterFile } from '../config/cluster-file.js';
import type { HostSpec } from '../config/schema.js';
import { setEngineVersion } from '../config/edit.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { EngineFacts } from '../host/facts-types.js';
import type { Host } from '../host/host.js';
import { configurerFor, engineVersions, type PackageOffer } from '../host/os/index.js';
import {
  assertPackageVersionSyntax,
  comparePackageVersions,
  compareUpstream,
  type PackageFamily,
  resolveAcrossHosts,
  samePackageVersion,
  upstreamVersion,
} from '../host/version.js';
import type { Phase } from './runner/phase.js';
import { sourceSpec } from './converge/package-source.js';
import { applySteps } from './runner/steps.js';
import { rollingOrder } from './rolling/plan.js';
import { rollHosts, type HostTurn } from './rolling/roll.js';
import type { RollingReport } from '../results/rolling.js';
import { describeEstimate, estimateRoll, readTurns } from './rolling/turn-record.js';
import { mapAll } from '../util/concurrency.js';
import { excludedNames, inSwarm, type ActionOptions, type ClusterContext } from './runner/cluster-context.js';
import type { UpgradeHostPlan, UpgradePlan } from '../results/upgrade.js';

/** How upgrade takes its backup first: checked with the plan, taken under the upgrade's lock. */
export interface UpgradeBackup {
  /** Where the archive goes, for the plan. */
  archive: string;
  /** Checks that it can be taken (a key to encrypt to), after the plan and before any change; throws to refuse. */
  check(): Promise<void>;
  /** As check(), for a dry run: refuses the same way, but asks for no passphrase (a real run on a terminal would). */
  checkWithoutAsking(): Promise<void>;
  /** Takes it, re-entering the upgrade's lock, and returns the archive's path. */
  take(lock: ClusterLock | undefined): Promise<string>;
}

/** What upgrade is given. */
export interface UpgradeOptions extends ActionOptions {
  file: ClusterFile;
  /** --to: the version to move to; the file is edited to say it (comments and layout kept). */
  to?: string;
  maxUnavailable?: number;
  /** Hosts of the file that --hosts did not name: read for the plan, left on their version. */
  notSelected?: readonly HostSpec[];
  drainTimeoutMs?: number;
  /** --no-backup: no backup first (the command warns). */
  skipBackup: boolean;
  /** The backup taken before the first change (the command builds it from the file's backup settings). */
  backup?: UpgradeBackup;
  /** Shown the plan before any change; throws to stop (declined, or no terminal without --yes). */
  confirm: (plan: UpgradePlan) => Promise<void>;
}

/** The context of `eectl upgrade`: the plan, each host's offers and target, what the run did. */
export type UpgradeContext = ClusterContext & {
  options: UpgradeOptions;
  plan?: UpgradePlan;
  offers: Map<string, PackageOffer[]>;
  targets: Map<string, string>;
  fileChanged: boolean;
  backupPath?: string;
  rolling: RollingReport;
  /** Services left unevenly spread after the hosts' turns (the hint to rebalance). */
  uneven?: string[];
};

const withEngine = (h: Host): boolean => h.facts?.engine?.packageVersion !== undefined;

/** Reads every host's package lists and resolves the target; refuses a downgrade before anything changes. */
export const upgradePlanPhase: Phase<UpgradeContext> = {
  title: 'Plan the upgrade',
  async run(ctx, out) {
    const { options } = ctx;
    const requested = options.to ?? ctx.config.spec.engine.version;
    if (requested !== undefined) assertPackageVersionSyntax(requested);
    const spec = sourceSpec(ctx);
    const leftAlone = new Set((options.notSelected ?? []).map((h) => h.address));
    // Only the hosts this run upgrades: the others' package lists are not refreshed, nor their versions judged.
    const hosts = ctx.hosts.filter((h) => withEngine(h) && !leftAlone.has(h.name));
    const listed = await mapAll(hosts, ctx.concurrency, async (host) => {
      const configurer = configurerFor(host.known);
      // Reading the package lists is the one thing a dry run does to hosts: the plan needs the versions.
      for (const step of configurer.refreshMetadata(spec)) {
        out.report(host.name, step.description);
        if (step.kind === 'command') await host.exec(step.command, { sudo: step.sudo, timeoutMs: 600_000 });
      }
      const listing = await host.exec(configurer.listVersions(spec).command, {
        check: false,
        timeoutMs: 120_000,
      });
      const offers = configurer.parseAvailable(listing.stdout);
      ctx.offers.set(host.name, offers);
      return {
        host: host.name,
        available: engineVersions(offers, configurer.enginePackages(spec)),
        family: configurer.packageFamily,
      };
    });
    const targets = hosts.length > 0 ? resolveAcrossHosts(requested, listed) : new Map<string, string>();
    ctx.targets = targets;
    const downgrades = hosts.filter((h) =>
      isDowngrade(h.known.engine!, targets.get(h.name)!, configurerFor(h.known).packageFamily),
    );
    if (downgrades.length > 0) {
      throw new EectlError(
        `refusing to downgrade ${downgrades.map((h) => `${h.name} (${h.known.engine!.packageVersion})`).join(', ')} to ${upstreamVersion(targets.get(downgrades[0]!.name)!)}: eectl upgrade only moves engines forward`,
        {
          code: 'EDOWNGRADE',
          exitCode: ExitCode.preflight,
          suggestions: ['Nothing was changed. Ask for the version the cluster runs or a newer one (--to).'],
        },
      );
    }
    ctx.swarmManager = ctx.hosts.find((h) => h.isManager && inSwarm(h) && h.facts?.swarm?.isManager);
    const nodes = ctx.swarmManager ? await new HostDocker(ctx.swarmManager).nodes() : [];
    const leader = nodes.find((n) => n.leader)?.id;
    const order = rollingOrder(
      hosts.map((h) => ({
        item: h,
        role: h.role,
        leader: leader !== undefined && h.facts?.swarm?.nodeId === leader,
      })),
      options.maxUnavailable,
    );
    const rows: UpgradeHostPlan[] = [...order.managers, ...order.workers, ...order.registries]
      .flat()
      .map((h) => {
        const to = targets.get(h.name)!;
        return {
          host: h.name,
          role: h.role,
          from: { package: h.known.engine!.packageVersion!, daemon: h.known.engine!.serverVersion },
          to,
          changes: needsUpgrade(h.known.engine!, to),
        };
      });
    const [first] = targets.values();
    // Hosts --hosts did not name stay on their version: shown after the others, changing nothing.
    for (const h of ctx.hosts.filter((h) => withEngine(h) && leftAlone.has(h.name))) {
      rows.push({
        host: h.name,
        role: h.role,
        from: { package: h.known.engine!.packageVersion!, daemon: h.known.engine!.serverVersion },
        to: first ?? h.known.engine!.packageVersion!,
        changes: false,
        selected: false,
      });
    }
    const changing = new Set(rows.filter((r) => r.changes).map((r) => r.host));
    const groups = [...order.managers, ...order.workers, ...order.registries]
      .map((g) => g.filter((h) => changing.has(h.name)).map((h) => h.name))
      .filter((g) => g.length > 0);
    const estimate = estimateRoll(groups, await readTurns(ctx.config.metadata.name));
    ctx.plan = {
      requested,
      target: first === undefined ? undefined : upstreamVersion(first),
      hosts: rows,
      batchSize: order.batchSize,
      backup: options.skipBackup
        ? 'skipped (--no-backup)'
        : options.backup
          ? `taken first, to ${options.backup.archive}`
          : 'none (run eectl backup first)',
      skipped: ctx.hosts.filter((h) => !withEngine(h)).map((h) => h.name),
      ...((leftAlone.size > 0 || ctx.excluded) && {
        selection: { excluded: excludedNames(ctx), notSelected: [...leftAlone] },
      }),
      drainTimeoutSeconds: Math.round((options.drainTimeoutMs ?? 300_000) / 1000),
      estimate: { ...estimate, description: describeEstimate(estimate) },
    };
    // A backup that cannot be taken (no key) refuses the run here, before the question and any change;
    // a dry run is refused the same way (it asks for no passphrase: a real run on a terminal would).
    if (!options.skipBackup && rows.some((r) => r.changes)) {
      if (ctx.changes.dryRun) await options.backup?.checkWithoutAsking();
      else await options.backup?.check();
    }
    if (ctx.changes.dryRun) return;
    await options.confirm(ctx.plan);
  },
};

/** Whether moving this engine (its package or its running daemon) to `to` would go backwards. */
export function isDowngrade(engine: EngineFacts, to: string, family: PackageFamily): boolean {
  const daemon = engine.serverVersion;
  return (
    comparePackageVersions(engine.packageVersion!, to, family) > 0 ||
    (daemon !== undefined && compareUpstream(upstreamVersion(daemon), upstreamVersion(to)) > 0)
  );
}

/** The host's package or its daemon is not at the target yet: what a resumed run decides from the host. */
export function needsUpgrade(engine: EngineFacts, to: string): boolean {
  const daemonOk =
    engine.running &&
    engine.serverVersion !== undefined &&
    upstreamVersion(engine.serverVersion) === upstreamVersion(to);
  return !samePackageVersion(engine.packageVersion!, to) || !daemonOk;
}

/** Whether the plan changes any host (no plan yet: the plan phase did not run, so nothing to do). */
export const upgrading = (ctx: UpgradeContext): boolean => ctx.plan?.hosts.some((h) => h.changes) === true;

/** --to: the file says the new version before any host changes (a failed run is resumed from the file). */
export const upgradeFileAndBackupPhase: Phase<UpgradeContext, 'plan'> = {
  title: 'Update the cluster file and take a backup',
  needs: ['plan'],
  shouldRun: (ctx) => !ctx.changes.dryRun && (upgrading(ctx) || ctx.options.to !== undefined),
  async run(ctx) {
    const { options } = ctx;
    if (options.to !== undefined && options.file.config.spec.engine.version !== options.to) {
      const next = options.file.edited(
        setEngineVersion(options.file.text, options.to),
        `with engine.version ${options.to}`,
      );
      await next.write();
      ctx.fileChanged = true;
      ctx.log.info(`${options.file.path}: engine.version is now "${options.to}"`);
    }
    if (!options.skipBackup && options.backup && upgrading(ctx)) {
      ctx.backupPath = await options.backup.take(ctx.lock);
    }
  },
};

/** The new packages into every host's package cache at once, so each host's turn is only the install. */
export const upgradeDownloadPhase: Phase<UpgradeContext, 'plan'> = {
  title: 'Download the new engine packages on every host',
  needs: ['plan'],
  shouldRun: upgrading,
  async run(ctx, out) {
    const pending = ctx.hosts.filter((h) => ctx.plan.hosts.some((p) => p.host === h.name && p.changes));
    await mapAll(pending, ctx.concurrency, async (host) => {
      const to = ctx.targets.get(host.name)!;
      const steps = configurerFor(host.known).downloadEngine(
        sourceSpec(ctx),
        to,
        ctx.offers.get(host.name) ?? [],
      );
      await applySteps(ctx, host, steps, out);
    });
  },
};

/** Each host in its turn: install from the cache, restart, verify, Ready again. */
export const upgradeRollPhase: Phase<UpgradeContext, 'plan'> = {
  title: 'Upgrade engines, one manager at a time, workers in batches',
  needs: ['plan'],
  async run(ctx, out) {
    const turns: HostTurn[] = [];
    for (const row of ctx.plan.hosts.filter((h) => h.changes)) {
      const host = ctx.hosts.find((h) => h.name === row.host)!;
      const configurer = configurerFor(host.known);
      turns.push({
        host,
        reasons: [
          `engine ${upstreamVersion(row.from.daemon ?? row.from.package)} → ${upstreamVersion(row.to)}`,
        ],
        expectVersion: row.to,
        apply: (o) =>
          applySteps(
            ctx,
            host,
            configurer.installEngine(sourceSpec(ctx), row.to, ctx.offers.get(host.name) ?? []),
            o,
          ),
      });
    }
    const swarmTurns = turns.filter((t) => inSwarm(t.host));
    ctx.rolling = await rollHosts(ctx, swarmTurns, out, {
      ...(ctx.options.maxUnavailable !== undefined && { maxUnavailable: ctx.options.maxUnavailable }),
      ...(ctx.options.drainTimeoutMs !== undefined && { drainTimeoutMs: ctx.options.drainTimeoutMs }),
    });
    // Engines outside the swarm serve nothing: one pass, no drain.
    const outside = turns.filter((t) => !inSwarm(t.host));
    if (outside.length > 0) await rollHosts({ ...ctx, swarmManager: undefined }, outside, out, {});
  },
};

/** An upgrade's hooks run only when it upgrades a host: an upgrade with nothing to do runs none. */
export function onlyWhenUpgrading(phase: Phase<ClusterContext>): Phase<UpgradeContext> {
  return { ...phase, shouldRun: (ctx) => upgrading(ctx) && (phase.shouldRun?.(ctx) ?? true) };
}
