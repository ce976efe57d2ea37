import { describe, expect, it } from 'vitest';
import { setEngineVersion } from '../../../../src/lib/config/edit.js';
import {
  daemonConfigProblems,
  expectedInfo,
  infoMismatches,
} from '../../../../src/lib/phases/rolling/daemon-config.js';

describe('daemonConfigProblems: the check where the engine has no dockerd --validate', () => {
  it('accepts what dockerd accepts', () => {
    const ok = {
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
      debug: false,
    };
    expect(daemonConfigProblems(JSON.stringify(ok))).toEqual([]);
  });

  it('refuses unknown keys, bad JSON, wrong types and log levels dockerd would refuse to start with', () => {
    expect(daemonConfigProblems('{"log-driver": "json-file",}')[0]).toMatch(/not valid JSON/);
    expect(daemonConfigProblems('[]')).toEqual(['not a JSON object']);
    expect(daemonConfigProblems('{"log-drivers": "json-file"}')).toEqual(['unknown option "log-drivers"']);
    expect(daemonConfigProblems('{"log-opts": {"max-file": 3}}')[0]).toMatch(/must all be strings/);
    expect(daemonConfigProblems('{"live-restore": "yes"}')[0]).toMatch(/true or false/);
    expect(daemonConfigProblems('{"log-level": "loud"}')[0]).toMatch(/log-level/);
    expect(daemonConfigProblems('{"max-concurrent-downloads": -1}')[0]).toMatch(/whole number/);
  });
});

describe('verifying a restart against what docker info reports', () => {
  it('checks the options docker info shows and names the ones that differ', () => {
    const wanted = expectedInfo({ 'log-driver': 'local', debug: true, 'log-opts': { 'max-size': '1m' } });
    expect(wanted).toEqual({ LoggingDriver: 'local', Debug: true });
    expect(infoMismatches({ LoggingDriver: 'local', Debug: true }, wanted)).toEqual([]);
    expect(infoMismatches({ LoggingDriver: 'json-file', Debug: true }, wanted)).toEqual([
      'LoggingDriver is "json-file", not "local"',
    ]);
  });
});

describe('setEngineVersion: upgrade --to edits the file and keeps the rest of it', () => {
  const text = [
    'apiVersion: eectl/v1',
    'kind: Cluster',
    'metadata: { name: prod }',
    'spec:',
    '  hosts:',
    '    - { address: 10.0.0.1, role: manager } # the first',
    '  engine:',
    '    source: mirror',
    '    # pinned for the release',
    "    version: '20.10'",
    '    repoUrl: http://mirror/',
    '',
  ].join('\n');

  it('changes only the version, in the quoting it had', () => {
    expect(setEngineVersion(text, '26.1')).toBe(text.replace("'20.10'", "'26.1'"));
    const plain = text.replace("version: '20.10'", 'version: 20.10.24');
    expect(setEngineVersion(plain, '26.1')).toBe(text.replace("'20.10'", '"26.1"'));
  });

  it('adds the version where the file had none, comments kept', () => {
    const none = text.replace("    version: '20.10'\n", '');
    const out = setEngineVersion(none, '26.1');
    expect(out).toContain('# the first');
    expect(out).toMatch(/version: "?26\.1"?/);
  });
});
