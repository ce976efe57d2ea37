import type { Host } from './host.js';

/**
 * The last `lines` lines of a systemd unit's journal on a host (as root, ISO times), or why there are
 * none: a host without systemd has no journal to read.
 */
export async function journalTail(
  host: Host,
  unit: string,
  lines: number,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ text: string } | { missing: string }> {
  if (host.facts && host.facts.initSystem !== 'systemd')
    return { missing: `no journal: the host's init system is ${host.facts.initSystem}` };
  const r = await host.sudoBulk(
    ['journalctl', '--unit', unit, '--lines', String(lines), '--no-pager', '--output', 'short-iso'],
    {
      check: false,
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.signal && { signal: options.signal }),
    },
  );
  if (r.code !== 0) return { missing: `journalctl exited ${r.code}: ${r.stderr.trim()}` };
  return { text: r.stdout };
}
