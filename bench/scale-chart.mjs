/**
 * docs/scale.svg from bench/results/scale.json: wall time, CPU time and peak RSS of each scenario against hosts,
 * drawn by vega-lite, rendered to SVG by vega without a browser. `node bench/scale-chart.mjs` redraws it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const panel = (field, title) => ({
  width: 260,
  height: 220,
  title,
  mark: { type: 'line', point: true },
  encoding: {
    x: { field: 'hosts', type: 'quantitative', title: 'simulated hosts' },
    y: { field, type: 'quantitative', title },
    color: { field: 'scenario', type: 'nominal', sort: ['install', 'noop', 'status', 'join'] },
  },
});

/** Writes the chart of `result` (the scale.json object) to `path`. */
export async function writeChart(result, path) {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `eectl against simulated hosts (${result.simulator.latencyMs} ± ${result.simulator.jitterMs} ms per round trip, --concurrency ${result.concurrency})`,
    data: { values: result.runs },
    hconcat: [
      panel('wallSeconds', 'wall time (s)'),
      panel('cpuSeconds', 'CPU time of eectl (s)'),
      panel('peakRssMb', 'peak RSS of eectl (MB)'),
    ],
    config: { background: 'white' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  writeFileSync(path, await view.toSVG());
  view.finalize();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const result = JSON.parse(readFileSync(join(root, 'bench/results/scale.json'), 'utf8'));
  await writeChart(result, join(root, 'docs/scale.svg'));
}
