import { describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { Facts } from '../../../src/lib/host/facts-types.js';
import { Host } from '../../../src/lib/host/host.js';
import { configurerFor } from '../../../src/lib/host/os/index.js';
import { mergedDaemonJson } from '../../../src/lib/phases/converge/engine.js';
import { satisfiedVersion, sourceInPlace } from '../../../src/lib/phases/converge/package-source.js';
import { makeFacts } from '../../helpers/facts.js';
import { stubConnection, testClusterContext } from '../../helpers/contexts.js';

// The decisions install takes from facts alone: what is already in place needs no change.

const config = (engine: Record<string, unknown>) =>
  clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 't' },
    spec: { hosts: [{ address: 'h1', role: 'manager' }], engine },
  });

function host(facts: Partial<Facts>): Host {
  const conn = stubConnection('h1');
  const h = new Host(config({}).spec.hosts[0]!, conn);
  h.facts = makeFacts({ hostname: 'h1', privateAddresses: ['10.0.0.1'], addresses: ['10.0.0.1'], ...facts });
  return h;
}

const ctx = (engine: Record<string, unknown>) => testClusterContext(config(engine));

const engine = (packageName: string, packageVersion: string) => ({
  packageName,
  packageVersion,
  serverVersion: '20.10.24+dfsg1',
  running: true,
});

describe('what install decides from facts', () => {
  it('keeps an installed engine that satisfies engine.version, and only then', () => {
    const installed = host({ engine: engine('docker.io', '20.10.24+dfsg1-1+deb12u1+b6') });
    const mirror = { source: 'mirror', repoUrl: 'http://10.0.0.9/debian' };
    expect(satisfiedVersion(ctx({ ...mirror, version: '20.10' }), installed)).toBe(
      '20.10.24+dfsg1-1+deb12u1+b6',
    );
    expect(satisfiedVersion(ctx({ ...mirror }), installed)).toBe('20.10.24+dfsg1-1+deb12u1+b6');
    expect(satisfiedVersion(ctx({ ...mirror, version: '26.1' }), installed)).toBeUndefined();
    // Another source's package is not the one the file asks for.
    expect(satisfiedVersion(ctx({ source: 'docker', version: '20.10' }), installed)).toBeUndefined();
    expect(satisfiedVersion(ctx({ ...mirror, version: '20.10' }), host({}))).toBeUndefined();
  });

  it('merges engine.daemon over the host’s daemon.json and writes only when that changes it', () => {
    const path = '/etc/docker/daemon.json';
    const wanted = { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m' } };
    expect(mergedDaemonJson(host({}), {})).toBeUndefined();
    expect(JSON.parse(mergedDaemonJson(host({}), wanted)!)).toEqual(wanted);
    const operators = host({ files: { [path]: '{"debug": true, "log-driver": "syslog"}' } });
    expect(JSON.parse(mergedDaemonJson(operators, wanted)!)).toEqual({ debug: true, ...wanted });
    const converged = host({ files: { [path]: JSON.stringify({ debug: true, ...wanted }) } });
    expect(mergedDaemonJson(converged, wanted)).toBeUndefined();
    expect(() => mergedDaemonJson(host({ files: { [path]: '{oops' } }), wanted)).toThrow(/not valid JSON/);
  });

  it('sets up the package source only when its file differs', () => {
    const spec = { source: 'mirror' as const, repoUrl: 'http://10.0.0.9/debian', insecure: true };
    const mirror = ctx(spec);
    const h = host({});
    expect(sourceInPlace(mirror, h)).toBe(false);
    const list = '/etc/apt/sources.list.d/eectl-engine.list';
    h.facts!.files[list] = 'deb [trusted=yes] http://elsewhere/debian bookworm main\n';
    expect(sourceInPlace(mirror, h)).toBe(false);
    // What the configurer would write is exactly what a converged host has.
    const [upload] = configurerFor(h.known)
      .setupSource(spec)
      .filter((s) => s.kind === 'upload');
    h.facts!.files[list] = upload!.kind === 'upload' ? upload!.content : '';
    expect(sourceInPlace(mirror, h)).toBe(true);
    // distro: in place once no eectl source file is left.
    expect(sourceInPlace(ctx({ source: 'distro' }), h)).toBe(false);
    delete h.facts!.files[list];
    expect(sourceInPlace(ctx({ source: 'distro' }), h)).toBe(true);
  });
});
