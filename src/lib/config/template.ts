import { parse } from 'yaml';
import { CLUSTER_SCHEMA_REF } from './json-schema.js';
import { DEFAULT_REGISTRY_PATH, type EngineSource, type Role } from './schema.js';

/** What `eectl init` asks for; everything else in the file starts at its default. */
export interface InitAnswers {
  name: string;
  managers: string[];
  workers: string[];
  registries: string[];
  sshUser?: string;
  sshKey?: string;
  engineSource: EngineSource;
  engineVersion?: string;
  repoUrl?: string;
  /** Storage path shared by every registry host; needed with more than one. */
  registryPath?: string;
}

/** A new cluster file: every section present, each with a comment saying what it is for. */
export function renderClusterFile(a: InitAnswers): string {
  const ssh = [a.sshUser && `user: ${scalar(a.sshUser)}`, a.sshKey && `keyPath: ${scalar(a.sshKey)}`].filter(
    Boolean,
  );
  const host = (address: string, role: Role) => [
    `    - address: ${scalar(address)}`,
    `      role: ${role}`,
    ...(ssh.length ? [`      ssh: { ${ssh.join(', ')} }`] : []),
  ];
  const hosts = [
    ...a.managers.flatMap((h) => host(h, 'manager')),
    ...a.workers.flatMap((h) => host(h, 'worker')),
    ...a.registries.flatMap((h) => host(h, 'registry')),
  ];
  const shared = a.registries.length > 1;
  const storagePath = shared ? (a.registryPath ?? '') : DEFAULT_REGISTRY_PATH;
  return `# yaml-language-server: $schema=${CLUSTER_SCHEMA_REF}
#
# eectl cluster file. Check it with \`eectl config validate\`, apply it with \`eectl install\`.
# $VAR and \${VAR:-default} are replaced from the environment ($$ is a literal $). Secrets never go in
# this file: keys ending in Env name the environment variable that holds them.
apiVersion: eectl/v1
kind: Cluster
metadata:
  # Names the cluster in logs and under ~/.eectl/<name>/: lower-case letters, digits and dashes.
  name: ${scalar(a.name)}
spec:
  # Every machine eectl manages, reached over SSH (user, port and key fall back to ~/.ssh/config;
  # keyPath is relative to this file, ~ is your home directory).
  #   manager:  a Swarm manager and control-plane replica. Use an odd number: 3 tolerate 1 failure, 5 tolerate 2.
  #   worker:   runs your services.
  #   registry: a worker that also runs one registry replica.
  hosts:
${hosts.join('\n')}
  # Docker Engine on every host. source: docker (Docker's repositories), distro (the distribution's
  # docker.io) or mirror (repoUrl: a package mirror, for air-gapped sites). version: an exact package
  # version or a prefix such as "26.1", in quotes. daemon: merged into /etc/docker/daemon.json.
  engine:
    source: ${a.engineSource}
${a.engineVersion ? `    version: ${JSON.stringify(a.engineVersion)}` : '    # version: "26.1"'}
${a.repoUrl ? `    repoUrl: ${scalar(a.repoUrl)}` : '    # repoUrl: http://mirror.internal/debian'}
${a.engineSource === 'mirror' ? '    repoKey: ./mirror-key.asc # the public key that signs the mirror: gpg --armor --export KEYID > mirror-key.asc' : '    # repoKey: ./mirror-key.asc (source: mirror: the public key that signs it)'}
    daemon: {}
  # Overlay network address pools (empty: Docker's default, 10.0.0.0/8 in /24 subnets).
  swarm:
    defaultAddrPool: []
  # The engine API on every manager, protected by mutual TLS from a cluster CA that eectl creates
  # (or ca: { certPath, keyPath } to sign with your own). san: extra names for the API certificates,
  # such as a load balancer in front of the managers.
  controlPlane:
    apiPort: 2376
    san: []
  # One registry replica per registry host, with TLS from the cluster CA. Every replica must see the
  # same images: a filesystem path on storage shared by all registry hosts (shared: true), or S3:
  #   storage: { s3: { bucket: images, region: eu-west-1, accessKeyEnv: S3_ACCESS_KEY, secretKeyEnv: S3_SECRET_KEY } }
  registry:
    port: 5443
    storage:
      filesystem: { path: ${scalar(storagePath)}, shared: ${shared} }
  # Air-gapped sites: image archives (docker save), relative to this file, loaded on every host.
  images:
    bundles: []
`;
}

/** A value written plain when YAML reads it back as the same string, double-quoted otherwise. */
function scalar(value: string): string {
  // No ':' ',' '{' '}' or spaces: the value may sit inside a flow map, where those end it.
  if (/^[A-Za-z0-9_./~@%+-]+$/.test(value) && parse(value) === value) return value;
  return JSON.stringify(value);
}
