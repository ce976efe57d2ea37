import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { EectlError } from '../errors.js';
import { clusterSchema } from '../config/schema.js';
import { REGISTRY_STORAGE_PATH, type SandboxDescription } from './state.js';

/**
 * The cluster file `up` writes for its hosts: ready for `eectl describe hosts` and `eectl install`, with
 * the engine from the sandbox mirror, and validated against the cluster schema before it is written.
 */

/** The engine version the file asks for; the mirror also has 26.1, so an upgrade is one edit away. */
export const SANDBOX_ENGINE_VERSION = '20.10';

/** The cluster file's content as plain data (what clusterSchema parses). */
export function sandboxClusterObject(desc: SandboxDescription): Record<string, unknown> {
  const registryHosts = desc.hosts.filter((h) => h.role === 'registry').length;
  const spec: Record<string, unknown> = {
    hosts: desc.hosts.map((h) => ({
      address: h.address,
      role: h.role,
      ssh: { user: h.user, keyPath: desc.keyPath },
    })),
    engine: {
      source: 'mirror',
      version: SANDBOX_ENGINE_VERSION,
      repoUrl: desc.mirrorUrl,
      // A sandbox made before its mirror was signed has no key: it stays unsigned, and says so.
      ...(desc.mirrorKey ? { repoKey: desc.mirrorKey } : { insecure: true }),
    },
  };
  const bundles: string[] = [];
  // The first workload's image, loaded on every host by install: something to run without a registry.
  if (desc.workload) bundles.push(desc.workload.bundle);
  if (registryHosts > 0 && desc.registry) {
    spec.registry = {
      image: desc.registry.image,
      // Every registry host mounts the same volume at this path: shared storage, truly.
      storage: { filesystem: { path: REGISTRY_STORAGE_PATH, shared: true } },
    };
    bundles.push(desc.registry.bundle);
  }
  if (bundles.length > 0) spec.images = { bundles };
  return { apiVersion: 'eectl/v1', kind: 'Cluster', metadata: { name: desc.name }, spec };
}

/** The cluster file's text, with comments saying what the sandbox gives and how to remove it. */
export function sandboxClusterYaml(desc: SandboxDescription): string {
  const object = sandboxClusterObject(desc);
  const parsed = clusterSchema.safeParse(object);
  if (!parsed.success) {
    throw new EectlError(
      `the sandbox cluster file does not satisfy the cluster schema: ${parsed.error.message}`,
      {
        code: 'ESANDBOXCONFIG',
        kind: 'bug',
      },
    );
  }
  const doc = new Document(object);
  doc.commentBefore = [
    ` eectl sandbox "${desc.name}": throwaway hosts on this machine's Docker engine (eectl sandbox up).`,
    ' Managers log in as root; workers and registry hosts as "eectl" with sudo: both paths get exercised.',
    ` Host keys: ${desc.knownHostsFile}`,
    ` Remove everything: eectl sandbox down --name ${desc.name}`,
  ].join('\n');
  for (const node of (doc.getIn(['spec', 'hosts'], true) as YAMLMap | undefined)?.items ?? []) {
    const ssh = isMap(node) ? node.get('ssh', true) : undefined;
    if (isMap(ssh)) ssh.flow = true;
  }
  commentKey(
    doc,
    ['spec', 'engine'],
    'repoUrl',
    ` An apt repository of Debian's layout (<repoUrl> ${'bookworm'} main), signed with repoKey.`,
  );
  commentKey(
    doc,
    ['spec', 'engine'],
    'version',
    ' The mirror has docker.io 20.10.24 (bookworm) and 26.1.5 (trixie): set "26.1" to upgrade.',
  );
  if (object.spec && (object.spec as Record<string, unknown>).images) {
    const registry = desc.hosts.some((h) => h.role === 'registry') ? desc.registry?.image : undefined;
    const held = [desc.workload?.image, registry].filter((i): i is string => i !== undefined);
    commentKey(
      doc,
      ['spec', 'images'],
      'bundles',
      ` Hold ${held.join(' and ')}, loaded on every host by install.`,
    );
  }
  return doc.toString({ lineWidth: 0 });
}

function commentKey(doc: Document, mapPath: string[], key: string, comment: string): void {
  const map = doc.getIn(mapPath, true);
  if (!isMap(map)) return;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = comment;
}

/** Writes the cluster file (0600: it names the key). */
export async function writeSandboxClusterFile(desc: SandboxDescription): Promise<void> {
  await mkdir(dirname(desc.clusterFile), { recursive: true, mode: 0o700 });
  await writeFile(desc.clusterFile, sandboxClusterYaml(desc), { mode: 0o600 });
}
