import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registryConfigYaml } from '../../../src/lib/registry/config-file.js';
import {
  collectorArgs,
  gcRefusal,
  isReadOnly,
  parseCollectorOutput,
  readOnlyConfig,
  readWriteConfig,
} from '../../../src/lib/registry/gc.js';
import { systemdArg, systemdSchedule } from '../../../src/lib/ui/systemd-schedule.js';
import { registrySpec } from './fixtures.js';

/** The swarm's rendering of the template, enough for YAML: every secret read becomes a quoted value. */
const rendered = (template: string) =>
  parse(template.replace(/\{\{ printf "%q" \(secret "[^"]+"\) \}\}/g, '"s"')) as {
    storage: { maintenance: { readonly?: { enabled: boolean }; uploadpurging: { enabled: boolean } } };
  };

/** Distribution 2.8.2's stdout of `registry garbage-collect` after one of two tags was deleted (seen here). */
const COLLECTOR_OUTPUT = `t/app
t/app: marking manifest sha256:de17989b4766d70bc2926f9290b23cbbf769119d5f4ef5c4cb9f331e51936fa4 
t/app: marking blob sha256:ebbee15fcd7e3997ed89c66ec5fa4d67cbe3266998b3ec046262168482ad47ac
t/app: marking blob sha256:4381142a944dccfafc4428f3b1d4469713054b918f3c97f2e7f1cac2c25e0cc4

3 blobs marked, 2 blobs and 0 manifests eligible for deletion
blob eligible for deletion: sha256:0139c1c77468f75e6763a4612262743bd47a36b26cb2863d662756b3377bb029
blob eligible for deletion: sha256:f113d45ac3c683d6945e77b9d7f11313c0b1d245ae591b11dd1ac54bf6938ea1
`;

describe('the read-only config', () => {
  const deployed = registryConfigYaml(
    registrySpec({ storage: { filesystem: { path: '/srv/r', shared: true } } }),
    'prod',
  );

  it('is the deployed config with storage.maintenance.readonly.enabled, and nothing else changed', () => {
    expect(rendered(deployed).storage.maintenance.readonly).toBeUndefined();
    const readOnly = readOnlyConfig(deployed);
    const config = rendered(readOnly);
    expect(config.storage.maintenance.readonly).toEqual({ enabled: true });
    expect(config.storage.maintenance.uploadpurging).toEqual({ enabled: false });
    const { storage: a, ...restA } = config as unknown as Record<string, unknown> & { storage: object };
    const { storage: b, ...restB } = rendered(deployed) as unknown as Record<string, unknown> & {
      storage: object;
    };
    expect(restA).toEqual(restB);
    expect({ ...a, maintenance: undefined }).toEqual({ ...b, maintenance: undefined });
    // The secrets are still read at render time: the config object holds none.
    expect(readOnly).toContain('(secret "eectl-registry-http-secret")');
  });

  it('goes back to exactly the deployed text, and either way only once', () => {
    const readOnly = readOnlyConfig(deployed);
    expect(isReadOnly(readOnly)).toBe(true);
    expect(isReadOnly(deployed)).toBe(false);
    expect(readOnlyConfig(readOnly)).toBe(readOnly);
    expect(readWriteConfig(readOnly)).toBe(deployed);
    expect(readWriteConfig(deployed)).toBe(deployed);
  });

  it('refuses a config eectl did not write', () => {
    expect(() => readOnlyConfig('version: 0.1\nstorage:\n  filesystem: {}\n')).toThrow(/maintenance/);
  });
});

describe('the gc plan', () => {
  it('refuses several replicas on a filesystem path that is not shared', () => {
    const local = registrySpec({ storage: { filesystem: { path: '/srv/r', shared: false } } });
    expect(gcRefusal(local, 2)).toMatchObject({ code: 'EGC_NOT_SHARED', exitCode: 2 });
    expect(gcRefusal(local, 2)?.message).toContain('/srv/r');
    expect(gcRefusal(local, 1)).toBeUndefined();
    expect(
      gcRefusal(registrySpec({ storage: { filesystem: { path: '/srv/r', shared: true } } }), 3),
    ).toBeUndefined();
    expect(
      gcRefusal(
        registrySpec({ storage: { s3: { bucket: 'b', region: 'r', accessKeyEnv: 'A', secretKeyEnv: 'S' } } }),
        3,
      ),
    ).toBeUndefined();
  });

  it("runs Distribution's collector with the mounted config, its own flags only when asked", () => {
    expect(collectorArgs({ dryRun: false, deleteUntagged: false })).toEqual([
      '/bin/registry',
      'garbage-collect',
      '/etc/docker/registry/config.yml',
    ]);
    expect(collectorArgs({ dryRun: true, deleteUntagged: true })).toEqual([
      '/bin/registry',
      'garbage-collect',
      '--dry-run',
      '--delete-untagged',
      '/etc/docker/registry/config.yml',
    ]);
  });

  it("reads what the collector did from its output, and refuses output that is not the collector's", () => {
    expect(parseCollectorOutput(COLLECTOR_OUTPUT)).toEqual({
      blobsMarked: 3,
      blobsEligible: 2,
      manifestsEligible: 0,
      blobs: [
        'sha256:0139c1c77468f75e6763a4612262743bd47a36b26cb2863d662756b3377bb029',
        'sha256:f113d45ac3c683d6945e77b9d7f11313c0b1d245ae591b11dd1ac54bf6938ea1',
      ],
    });
    expect(() => parseCollectorOutput('failed to garbage collect: Path not found')).toThrow(
      /no summary.*Path not found/,
    );
    expect(() => parseCollectorOutput('')).toThrow(/no output/);
  });
});

describe('--schedule', () => {
  it('prints a oneshot service and a timer that run the command', () => {
    const text = systemdSchedule({
      unit: 'eectl-registry-gc-prod',
      description: 'eectl registry gc of cluster prod',
      command: ['/usr/local/bin/eectl', 'registry', 'gc', '-c', '/etc/eectl/my cluster.yaml', '--yes'],
      onCalendar: 'Sun *-*-* 03:00:00',
    });
    expect(text).toContain(
      'ExecStart=/usr/local/bin/eectl registry gc -c "/etc/eectl/my cluster.yaml" --yes',
    );
    expect(text).toContain('OnCalendar=Sun *-*-* 03:00:00');
    expect(text).toContain('Type=oneshot');
    expect(text).toContain('systemctl enable --now eectl-registry-gc-prod.timer');
  });

  it('quotes what systemd would expand, and refuses a newline', () => {
    expect(systemdArg('50%')).toBe('"50%%"');
    expect(systemdArg('$HOME')).toBe('"$$HOME"');
    expect(systemdArg('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => systemdArg('a\nExecStartPost=/bin/sh')).toThrow();
    expect(() =>
      systemdSchedule({
        unit: 'x',
        description: 'd',
        command: ['/bin/true'],
        onCalendar: 'daily\n[Service]',
      }),
    ).toThrow();
  });
});
