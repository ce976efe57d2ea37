import { inSwarm, managers, type ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode, toEectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import { configurerFor } from '../host/os/index.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { sourceSpec } from './converge/package-source.js';
import { hostProxy } from './converge/engine-proxy.js';
import { checkHosts, type PreflightProblem } from '../cluster/preflight-checks.js';

/**
 * From a host, TCP to every manager's 2377: "open" when something answers, "refused" when the host is
 * reachable but nothing listens yet (a fresh manager), "unreachable" on a timeout or no route. Uses bash's
 * /dev/tcp, so no tool needs installing; `timeout` bounds a dropped SYN. Addresses are arguments, never
 * script text: the inner bash gets its own as "$1".
 */
const PROBE_MANAGERS = String.raw`
for a in "$@"; do
  out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/2377"' probe "$a" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then echo "$a open"; elif echo "$out" | grep -qi refused; then echo "$a refused"; else echo "$a unreachable"; fi
done`;

/**
 * The manager addresses a host must show it reaches on 2377/tcp: every other manager, except that a node
 * already in the swarm has shown it for the managers already in it (the swarm itself keeps that path up),
 * so a converged cluster costs no probe at all.
 */
export function probeTargets(host: Host, allManagers: readonly Host[]): string[] {
  const proven = inSwarm(host)
    ? new Set(
        allManagers.filter((m) => inSwarm(m) && m.facts?.swarm?.isManager).map((m) => m.advertiseAddress),
      )
    : new Set<string>();
  return allManagers
    .map((m) => m.advertiseAddress)
    .filter((a) => a !== host.advertiseAddress && !proven.has(a));
}

/** The probe as a command: the script is constant, the addresses are its arguments. */
export function probeManagersArgv(addresses: readonly string[]): string[] {
  return ['sh', '-c', `command -v bash >/dev/null || exit 0; ${PROBE_MANAGERS}`, 'sh', ...addresses];
}

async function probeManagers(host: Host, addresses: string[]): Promise<PreflightProblem[]> {
  if (addresses.length === 0) return [];
  const r = await host.exec(probeManagersArgv(addresses), {
    check: false,
    timeoutMs: 10_000 + addresses.length * 4000,
  });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter(([, verdict]) => verdict === 'unreachable')
    .map(([addr]) => ({
      host: host.name,
      severity: 'error' as const,
      message: `cannot reach manager ${addr} on 2377/tcp (firewall or routing): the swarm needs it from every node`,
    }));
}

/**
 * A host's proxy against what it runs: the engine's proxy is a systemd drop-in, and some package managers
 * cannot keep a proxy's login to root. An unset urlEnv or a refused URL in it is a usage error (exit 2).
 */
function proxyProblems(ctx: ClusterContext, host: Host): PreflightProblem[] {
  const proxy = hostProxy(ctx, host);
  if (!proxy) return [];
  const problems: PreflightProblem[] = [];
  if (host.known.initSystem !== 'systemd') {
    problems.push({
      host: host.name,
      severity: 'error',
      message: `spec.proxy needs systemd (the engine's proxy is a drop-in for docker.service); this host runs ${host.known.initSystem}`,
    });
  }
  try {
    configurerFor(host.known).packageProxy(proxy, host.known.files);
  } catch (error) {
    problems.push({ host: host.name, severity: 'error', message: toEectlError(error).message });
  }
  return problems;
}

/** Every check on every host before anything changes; any error stops the run with exit 3. */
export const preflightPhase: Phase<ClusterContext> = {
  title: 'Preflight checks',
  async run(ctx, out) {
    const problems: PreflightProblem[] = [];
    const unsupported = new Map<string, string>();
    for (const host of ctx.hosts) {
      try {
        configurerFor(host.known).checkSource(sourceSpec(ctx));
        serviceManagerFor(host.known.initSystem);
      } catch (error) {
        unsupported.set(host.name, toEectlError(error).message.replace(`${host.known.hostname}: `, ''));
      }
    }
    problems.push(
      ...checkHosts(
        ctx.hosts.map((h) => ({
          name: h.name,
          role: h.role,
          facts: h.known,
          localTime: ctx.factsReadAt,
          unsupportedOs: unsupported.get(h.name),
        })),
        ctx.config,
      ),
    );
    problems.push(...ctx.hosts.flatMap((h) => proxyProblems(ctx, h)));
    const allManagers = managers(ctx);
    const probes = await mapAll(ctx.hosts, ctx.concurrency, (h) =>
      probeManagers(h, probeTargets(h, allManagers)),
    );
    problems.push(...probes.flat());

    const byName = new Map(ctx.hosts.map((h) => [h.name, h]));
    for (const w of problems.filter((p) => p.severity === 'warning')) byName.get(w.host)?.log.warn(w.message);
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      throw new EectlError(
        `preflight found ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was changed:\n` +
          errors.map((p) => `  ${p.host}: ${p.message}`).join('\n'),
        {
          code: 'EPREFLIGHT',
          kind: 'user',
          exitCode: ExitCode.preflight,
          suggestions: ['Fix the hosts (or the file), then run install again.'],
        },
      );
    }
    out.report(ctx.hosts[0]!.name, `${ctx.hosts.length} hosts passed`);
  },
};
