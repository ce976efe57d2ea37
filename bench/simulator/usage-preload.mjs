// Loaded into the eectl process under test (node --import): its own CPU time and peak RSS, at exit.
import { writeFileSync } from 'node:fs';

const out = process.env.EECTL_BENCH_USAGE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ cpuUs: u.userCPUTime + u.systemCPUTime, maxRssKb: u.maxRSS }));
  });
}
