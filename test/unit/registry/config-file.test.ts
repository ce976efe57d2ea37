import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registryConfigYaml, SECRET_TARGETS } from '../../../src/lib/registry/config-file.js';
import { registrySpec } from './fixtures.js';

/** The parts of a rendered config.yml the tests read. */
interface RenderedConfig {
  version: number;
  http: { addr: string; secret: string; tls: unknown };
  auth: { htpasswd: { path: string } };
  storage: {
    filesystem?: { rootdirectory: string };
    s3?: unknown;
    maintenance: { uploadpurging: { enabled: boolean } };
  };
}

/** Renders the template as the swarm does for a task: `{{ printf "%q" (secret "T") }}` → quoted value. */
function render(template: string, secrets: Record<string, string>): RenderedConfig {
  const text = template.replace(/\{\{ printf "%q" \(secret "([^"]+)"\) \}\}/g, (_, target: string) => {
    const value = secrets[target];
    if (value === undefined)
      throw new Error(`the template reads secret ${target}, which the test does not have`);
    return JSON.stringify(value);
  });
  expect(text).not.toContain('{{');
  return parse(text) as RenderedConfig;
}

describe('registry config.yml', () => {
  it('serves TLS on the port with the mounted certificate, htpasswd auth and the shared http secret from a secret', () => {
    const yaml = registryConfigYaml(registrySpec({ port: 5443 }), 'prod');
    const config = render(yaml, { [SECRET_TARGETS.httpSecret]: 'shared-secret' });
    expect(config.version).toBe(0.1);
    expect(config.http.addr).toBe(':5443');
    expect(config.http.secret).toBe('shared-secret');
    expect(config.http.tls).toEqual({
      certificate: `/run/secrets/${SECRET_TARGETS.cert}`,
      key: `/run/secrets/${SECRET_TARGETS.key}`,
    });
    expect(config.auth.htpasswd.path).toBe(`/run/secrets/${SECRET_TARGETS.htpasswd}`);
    expect(config.storage.filesystem?.rootdirectory).toBe('/var/lib/registry');
    // Replicas on shared storage must not purge each other's uploads.
    expect(config.storage.maintenance.uploadpurging.enabled).toBe(false);
  });

  it('holds no secret itself: the config object is readable by anyone with swarm access', () => {
    const yaml = registryConfigYaml(registrySpec(), 'prod');
    expect(yaml).toContain(`secret "${SECRET_TARGETS.httpSecret}"`);
    expect(yaml).not.toMatch(/secret: [0-9a-f]{16,}/);
  });

  it('reads S3 keys from secrets at render time, quoted so any key is valid YAML', () => {
    const spec = registrySpec({
      storage: {
        s3: {
          bucket: 'images',
          region: 'eu-west-1',
          endpoint: 'https://minio.internal:9000',
          accessKeyEnv: 'S3_ACCESS',
          secretKeyEnv: 'S3_SECRET',
        },
      },
    });
    const yaml = registryConfigYaml(spec, 'prod');
    expect(yaml).not.toContain('S3_ACCESS');
    const config = render(yaml, {
      [SECRET_TARGETS.httpSecret]: 'x',
      [SECRET_TARGETS.s3AccessKey]: 'AKIA123',
      [SECRET_TARGETS.s3SecretKey]: 'a/b+c"d: e',
    });
    expect(config.storage.s3).toEqual({
      region: 'eu-west-1',
      bucket: 'images',
      regionendpoint: 'https://minio.internal:9000',
      accesskey: 'AKIA123',
      secretkey: 'a/b+c"d: e',
    });
    expect(config.storage.filesystem).toBeUndefined();
  });

  it('is the same text for the same section, and another for a changed one (its name is its content)', () => {
    expect(registryConfigYaml(registrySpec(), 'prod')).toBe(registryConfigYaml(registrySpec(), 'prod'));
    expect(registryConfigYaml(registrySpec({ port: 6000 }), 'prod')).not.toBe(
      registryConfigYaml(registrySpec(), 'prod'),
    );
  });
});
