import { describe, expect, it } from 'vitest';
import { certsDCaFile } from '../../../src/lib/host-layout.js';
import { registryCertNames, trustFiles } from '../../../src/lib/registry/trust.js';
import { externalEndpoint } from '../../../src/lib/images/cluster-policy.js';
import { registryHost, registrySpec } from './fixtures.js';

describe('registry trust', () => {
  const hosts = [registryHost('10.0.0.31', 'r1'), registryHost('10.0.0.32', 'R2')];

  it('names a certs.d CA file for every registry host by address and hostname, and for the external URL', () => {
    const spec = registrySpec({ port: 5443, externalUrl: 'https://registry.example.com' });
    expect(trustFiles(hosts, spec)).toEqual([
      '/etc/docker/certs.d/10.0.0.31:5443/ca.crt',
      '/etc/docker/certs.d/r1:5443/ca.crt',
      '/etc/docker/certs.d/10.0.0.32:5443/ca.crt',
      '/etc/docker/certs.d/r2:5443/ca.crt',
      '/etc/docker/certs.d/registry.example.com/ca.crt',
    ]);
  });

  it('keeps the external URL port unless it is 443, with or without a scheme', () => {
    expect(externalEndpoint('registry.example.com:5443')).toBe('registry.example.com:5443');
    expect(externalEndpoint('https://Registry.example.com:443/v2/')).toBe('registry.example.com');
    expect(externalEndpoint(undefined)).toBeUndefined();
    expect(certsDCaFile('lb:8443')).toBe('/etc/docker/certs.d/lb:8443/ca.crt');
  });

  it('puts every registry host and the external name in the one server certificate', () => {
    const names = registryCertNames(hosts, registrySpec({ externalUrl: 'registry.example.com:5443' }));
    expect(names.ipAddresses).toEqual(expect.arrayContaining(['10.0.0.31', '10.0.0.32']));
    expect(names.dnsNames).toEqual(expect.arrayContaining(['r1', 'r2', 'registry.example.com']));
  });
});
