import type { SupportDumpResult } from '../results/support.js';

/** The end of `eectl support dump` on a terminal: where the archive is, and what is missing from it. */
export function renderSupportDump(r: SupportDumpResult): string {
  const collected = r.hosts.filter((h) => h.collected).length;
  const lines = [
    `Support dump of ${r.cluster}: ${r.archive} (${r.files} files, ${(r.bytes / 1024).toFixed(0)} KiB), secrets redacted`,
    `  hosts: ${collected} of ${r.hosts.length} collected whole`,
    `  swarm: ${'nodes' in r.swarm ? `${r.swarm.nodes} nodes, read on ${r.swarm.from}` : 'not read (swarm/ERROR.txt)'}`,
    `  eectl run logs: ${r.runLogs}`,
  ];
  for (const h of r.hosts.filter((x) => !x.collected))
    lines.push(`  ${h.host}: ${h.problems.at(-1) ?? 'not collected'} (its ERROR.txt)`);
  lines.push('Look inside before you send it: tar -tzf the file lists what is in it.');
  return lines.join('\n');
}
