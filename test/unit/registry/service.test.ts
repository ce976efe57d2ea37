import { describe, expect, it } from 'vitest';
import { parseServiceInspect, type ServiceDefinition } from '../../../src/lib/swarm/docker.js';
import { differences } from '../../../src/lib/phases/registry-deploy.js';

const definition: ServiceDefinition = {
  name: 'eectl-registry',
  image: 'registry:2.8.3',
  constraints: ['node.labels.eectl.role==registry'],
  hostPorts: [{ target: 5443, published: 5443 }],
  configs: [{ source: 'eectl-registry-config-aaa', target: '/etc/docker/registry/config.yml' }],
  secrets: [{ source: 'eectl-registry-htpasswd-bbb', target: 'eectl-registry-htpasswd' }],
  binds: [{ source: '/mnt/registry', target: '/var/lib/registry' }],
  rolling: { parallelism: 1, order: 'stop-first' },
};

/** `docker service inspect` of the service above, as an engine 20.10 prints it (digest pinned). */
const inspected = JSON.stringify([
  {
    ID: 'svc1',
    Spec: {
      Name: 'eectl-registry',
      Mode: { Global: {} },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'registry:2.8.3@sha256:0123456789abcdef',
          Configs: [
            { ConfigName: 'eectl-registry-config-aaa', File: { Name: '/etc/docker/registry/config.yml' } },
          ],
          Secrets: [{ SecretName: 'eectl-registry-htpasswd-bbb', File: { Name: 'eectl-registry-htpasswd' } }],
          Mounts: [{ Type: 'bind', Source: '/mnt/registry', Target: '/var/lib/registry' }],
        },
        Placement: { Constraints: ['node.labels.eectl.role==registry'] },
      },
      EndpointSpec: { Ports: [{ TargetPort: 5443, PublishedPort: 5443, PublishMode: 'host' }] },
    },
  },
]);

describe('registry service', () => {
  it('reads back as its definition: nothing to roll out', () => {
    const state = parseServiceInspect(inspected);
    expect(state).toMatchObject({ id: 'svc1', mode: 'global', image: 'registry:2.8.3' });
    expect(differences(definition, state)).toEqual([]);
  });

  it('names what changed: a new config, new secrets, a new image', () => {
    const state = parseServiceInspect(inspected);
    const want = {
      ...definition,
      image: 'registry:2.8.4',
      configs: [{ ...definition.configs[0]!, source: 'eectl-registry-config-ccc' }],
      secrets: [{ ...definition.secrets[0]!, source: 'eectl-registry-htpasswd-ddd' }],
    };
    expect(differences(want, state)).toEqual([
      'image registry:2.8.3 → registry:2.8.4',
      'configuration',
      'secrets',
    ]);
  });

  it("reads the swarm's /etc/hosts lines back as NAME:ADDRESS, and names a change of them", () => {
    const raw = JSON.parse(inspected) as [
      { Spec: { TaskTemplate: { ContainerSpec: Record<string, unknown> } } },
    ];
    raw[0].Spec.TaskTemplate.ContainerSpec.Hosts = ['host-gateway eectl-webhook-relay'];
    const state = parseServiceInspect(JSON.stringify(raw));
    expect(state.extraHosts).toEqual(['eectl-webhook-relay:host-gateway']);
    expect(differences({ ...definition, extraHosts: ['eectl-webhook-relay:host-gateway'] }, state)).toEqual(
      [],
    );
    expect(differences(definition, state)).toEqual(['hosts']);
    expect(
      differences(
        { ...definition, extraHosts: ['eectl-webhook-relay:host-gateway'] },
        parseServiceInspect(inspected),
      ),
    ).toEqual(['hosts']);
  });
});
