import type { ClusterFile } from '../config/cluster-file.js';
import { addHost, type NewHost } from '../config/edit.js';
import { EectlError, UsageError, toEectlError } from '../errors.js';
import type { ProgressMode } from '../ui/progress.js';
import type { ActionOptions } from '../phases/runner/cluster-context.js';
import { install } from './install.js';
import type { InstallResult, JoinResult } from '../results/install.js';

/** What `node join` is given: the file, the host to add, and how to reach the hosts. */
export interface JoinOptions extends Omit<ActionOptions, 'config'> {
  file: ClusterFile;
  host: NewHost;
  /** Told (before the install starts) that the file now lists the host. */
  onFileWritten?: (message: string) => void;
}

/**
 * `eectl node join`: adding a host to cluster.yaml and running install does the same, so that is what
 * it does. The file is written first — after the edited file passes its checks and every host passes
 * preflight (an install dry run) — so a join that fails later leaves the host in the file, and
 * `eectl install` finishes it. Install converges only what differs: the other hosts cost a second or two.
 */
export async function joinNode(options: JoinOptions): Promise<JoinResult> {
  const started = performance.now();
  const { host, file } = options;
  const index = file.indexOf(host.address);
  const listed = index >= 0 ? file.config.spec.hosts[index] : undefined;
  if (listed && listed.role !== host.role) {
    throw new UsageError(`${host.address} is already in ${file.path}, as a ${listed.role}`, {
      code: 'EROLE',
      suggestions: [
        listed.role === 'manager' || host.role === 'manager'
          ? `Change its role with eectl node ${host.role === 'manager' ? 'promote' : 'demote'} ${host.address}.`
          : `Change its role in ${file.path}, or remove it first with eectl node remove ${host.address}.`,
      ],
    });
  }
  const next = listed ? file : file.edited(addHost(file.text, host), `with ${host.address} added`);
  const run = (dryRun: boolean, progress: ProgressMode) =>
    install({
      config: next.config,
      session: options.session,
      log: options.log,
      concurrency: options.concurrency,
      signal: options.signal,
      dryRun,
      progress,
    });

  options.log.info(`checking ${host.address} and the other hosts before changing ${file.path}`);
  const plan = await run(true, 'silent');
  const result = (install: InstallResult): JoinResult => ({
    cluster: next.config.metadata.name,
    address: host.address,
    role: host.role,
    dryRun: options.dryRun,
    file: { path: file.path, changed: !listed },
    install,
    seconds: Math.round(performance.now() - started) / 1000,
  });
  if (options.dryRun) return result(plan);

  if (!listed) {
    await next.write();
    const message = `Added ${host.address} (${host.role}) to ${file.path}; if the join fails, \`eectl install\` finishes it.`;
    options.log.info(message);
    options.onFileWritten?.(message);
  }
  try {
    return result(await run(false, options.progress));
  } catch (error) {
    throw stillInFile(error, host.address, file.path);
  }
}

function stillInFile(error: unknown, address: string, path: string): EectlError {
  const e = toEectlError(error);
  return new EectlError(e.message, {
    code: e.code,
    kind: e.kind,
    exitCode: e.exitCode,
    host: e.host,
    cause: e.cause,
    suggestions: [
      ...e.suggestions,
      `${address} is in ${path} now: once the cause is fixed, \`eectl install -c ${path}\` finishes the join (or \`eectl node remove ${address}\` takes it out again).`,
    ],
  });
}
