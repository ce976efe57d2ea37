import { z } from 'zod';

/**
 * The cluster file's schema (apiVersion eectl/v1, kind Cluster). The single source of truth: types are
 * inferred from it, defaults live in it, and `schema/cluster.schema.json` is generated from it.
 */

export const ROLES = ['manager', 'worker', 'registry'] as const;
export type Role = (typeof ROLES)[number];

const port = z.number().int().min(1).max(65535);
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
  .describe('Name of an environment variable that holds the secret (secrets never live in the file)');

export const bastionSchema = z.strictObject({
  address: z.string().min(1).describe('Jump host, reached first; the target is reached through it'),
  user: z.string().min(1).optional(),
  port: port.optional(),
  keyPath: z.string().min(1).optional(),
});

export const sshSchema = z.strictObject({
  user: z.string().min(1).optional().describe('Login user; default from ~/.ssh/config, else root'),
  port: port.optional().describe('Default from ~/.ssh/config, else 22'),
  keyPath: z.string().min(1).optional().describe('Private key file; ssh-agent is used when absent'),
  keyPassphraseEnv: envName.optional(),
  passwordEnv: envName.optional().describe('Password authentication, from this environment variable only'),
  bastion: bastionSchema.optional(),
});

export const hostSchema = z.strictObject({
  address: z.string().min(1).describe('Address eectl connects to over SSH'),
  role: z.enum(ROLES),
  ssh: sshSchema.prefault({}),
  localhost: z.boolean().default(false).describe('Run commands locally instead of over SSH'),
  privateAddress: z.string().min(1).optional().describe('Swarm advertise address; detected when absent'),
  labels: z.record(z.string(), z.string()).default({}),
});

export const engineSchema = z.strictObject({
  source: z
    .enum(['docker', 'distro', 'mirror'])
    .default('docker')
    .describe(
      "docker: Docker's repositories (docker-ce); distro: the distribution's docker.io; mirror: repoUrl",
    ),
  version: z.string().min(1).optional().describe('Exact package version or a prefix such as "26.1"'),
  repoUrl: z.string().url().optional().describe('Package repository for source: mirror (air-gapped sites)'),
  daemon: z.record(z.string(), z.unknown()).default({}).describe('Merged into /etc/docker/daemon.json'),
});

export const swarmSchema = z.strictObject({
  defaultAddrPool: z.array(z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be a CIDR')).default([]),
  subnetSize: z.number().int().min(8).max(29).optional(),
  dataPathPort: port.default(4789),
});

export const controlPlaneSchema = z.strictObject({
  apiPort: port.default(2376),
  san: z.array(z.string().min(1)).default([]),
  ca: z
    .strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) })
    .optional()
    .describe('An existing CA to sign with; eectl creates one when absent'),
});

const filesystemStorage = z.strictObject({
  filesystem: z.strictObject({
    path: z.string().min(1),
    shared: z.boolean().default(false).describe('The path is shared storage mounted on every registry node'),
  }),
});
const s3Storage = z.strictObject({
  s3: z.strictObject({
    bucket: z.string().min(1),
    region: z.string().min(1),
    endpoint: z.string().url().optional(),
    accessKeyEnv: envName,
    secretKeyEnv: envName,
  }),
});

export const registrySchema = z.strictObject({
  image: z.string().min(1).default('registry:2.8.3'),
  port: port.default(5443),
  externalUrl: z.string().min(1).optional(),
  storage: z.union([filesystemStorage, s3Storage]).default({
    filesystem: { path: '/var/lib/eectl/registry', shared: false },
  }),
  auth: z
    .strictObject({
      htpasswd: z.strictObject({
        users: z.array(z.strictObject({ name: z.string().min(1), passwordEnv: envName })).default([]),
      }),
    })
    .optional(),
});

export const imagesSchema = z.strictObject({
  bundles: z
    .array(z.string().min(1))
    .default([])
    .describe('Image archives (docker save) loaded on every host'),
});

export const clusterSchema = z.strictObject({
  apiVersion: z.literal('eectl/v1'),
  kind: z.literal('Cluster'),
  metadata: z.strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and dashes'),
  }),
  spec: z.strictObject({
    hosts: z.array(hostSchema).min(1),
    engine: engineSchema.prefault({}),
    swarm: swarmSchema.prefault({}),
    controlPlane: controlPlaneSchema.prefault({}),
    registry: registrySchema.prefault({}),
    images: imagesSchema.prefault({}),
  }),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type HostSpec = z.output<typeof hostSchema>;
export type SshSpec = z.output<typeof sshSchema>;
export type EngineSpec = z.output<typeof engineSchema>;
