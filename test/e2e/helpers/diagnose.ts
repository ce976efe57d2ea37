import { readFile } from 'node:fs/promises';
import type { runEectl } from '../../helpers/cli.js';
import type { SandboxUnderTest } from './sandbox.js';

/** A run of the built CLI, as `runEectl` returns it. */
type FailedRun = Awaited<ReturnType<typeof runEectl>>;

/**
 * What an assertion on a failed eectl run should print, beyond its output: the last lines of the run's
 * log (the commands it ran last) and, when the error names a sandbox host, that host's engine as systemd
 * saw it (its journal and the unit's state). The run's log lives in the sandbox's EECTL_HOME, which is
 * gone after the file, and the host is gone with the sandbox: a failure that happens once in CI has to say
 * here why it happened.
 */
export async function failureDetail(sandbox: SandboxUnderTest, run: FailedRun): Promise<string> {
  const parts = [`exit ${run.code}`, run.stdout, run.stderr];
  const log = run.json?.error?.log;
  if (log) {
    const text = await readFile(log, 'utf8').catch((error: Error) => `(not read: ${error.message})`);
    parts.push(`--- the last lines of ${log}`, text.split('\n').slice(-60).join('\n'));
  }
  const address = run.json?.error?.host;
  const host = address
    ? sandbox.hosts.find((h) => h.address === address || h.hostname === address)
    : undefined;
  if (host) {
    const r = await sandbox.exec(
      host,
      'systemctl show docker docker.socket -p Id,ActiveState,SubState,Result,NRestarts,ExecMainStatus; ' +
        'journalctl -u docker -u docker.socket -n 40 --no-pager -o short-precise',
    );
    parts.push(`--- the engine on ${host.hostname} (${host.address}), as systemd saw it`, r.stdout, r.stderr);
  }
  return parts.filter(Boolean).join('\n');
}
