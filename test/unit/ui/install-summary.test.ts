import { describe, expect, it } from 'vitest';
import type { InstallResult } from '../../../src/lib/results/install.js';
import { renderInstallSummary } from '../../../src/lib/ui/install-summary.js';

const base: InstallResult = {
  cluster: 'prod',
  dryRun: true,
  converged: false,
  changes: [],
  hooks: [],
  warnings: [],
  engineVersion: undefined,
  nodes: [],
  quorum: undefined,
  phases: [{ title: 'Connect to hosts', seconds: 0.12, skipped: false }],
  seconds: 0.5,
};

describe('install summary', () => {
  it('groups a dry run’s changes per host, in the order the hosts first appear', () => {
    const out = renderInstallSummary({
      ...base,
      changes: [
        { host: 'm1', description: 'point apt at the mirror', applied: false },
        { host: 'w1', description: 'point apt at the mirror', applied: false },
        { host: 'm1', description: 'install docker.io 20.10', applied: false },
      ],
    });
    expect(out.split('\n').slice(0, 6)).toEqual([
      'Dry run: 3 changes would be made:',
      '  m1:',
      '    - point apt at the mirror',
      '    - install docker.io 20.10',
      '  w1:',
      '    - point apt at the mirror',
    ]);
  });

  it('says so when a converged cluster needed nothing, and shows a generated registry password once', () => {
    const out = renderInstallSummary({
      ...base,
      dryRun: false,
      converged: true,
      registry: { replicas: [], adminPassword: 's3cret-once' },
    });
    expect(out).toContain('Cluster prod is already converged: nothing changed.');
    expect(out).toContain('Registry admin password (shown once');
    expect(out).toContain('s3cret-once');
    expect(out).toMatch(/^Phases:\n {2}Connect to hosts +0\.1s$/m);
  });
});
