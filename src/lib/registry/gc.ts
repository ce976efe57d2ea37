import type { RegistrySpec } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { STORAGE_TARGET } from './config-file.js';

/**
 * Garbage collection of the registry (`eectl registry gc`): Distribution's own `registry
 * garbage-collect`, run inside a replica's container, while every replica is in read-only mode.
 */

/** The line registryConfigYaml writes under `storage:`; read-only mode goes under it. */
const MAINTENANCE_LINE = '  maintenance:';
const READ_ONLY_LINES = ['    readonly:', '      enabled: true'];

/**
 * The deployed config.yml (a swarm config template) with `storage.maintenance.readonly.enabled: true`:
 * the replica then refuses every write (push, delete) and keeps serving pulls. Everything else, the
 * secrets it reads at render time included, stays as it is. Refuses a config eectl did not write.
 */
export function readOnlyConfig(deployed: string): string {
  const lines = deployed.split('\n');
  if (isReadOnly(deployed)) return deployed;
  const at = lines.indexOf(MAINTENANCE_LINE);
  if (at < 0 || !lines.includes('storage:')) {
    throw new Error('the registry config has no storage.maintenance section as eectl writes it');
  }
  return [...lines.slice(0, at + 1), ...READ_ONLY_LINES, ...lines.slice(at + 1)].join('\n');
}

/** Whether a config text is the read-only form (a run that stopped half-way left it deployed). */
export function isReadOnly(config: string): boolean {
  const lines = config.split('\n');
  const at = lines.indexOf(MAINTENANCE_LINE);
  return at >= 0 && lines[at + 1] === READ_ONLY_LINES[0] && lines[at + 2] === READ_ONLY_LINES[1];
}

/** The read-write form of a config text: the inverse of readOnlyConfig. */
export function readWriteConfig(config: string): string {
  if (!isReadOnly(config)) return config;
  const lines = config.split('\n');
  const at = lines.indexOf(MAINTENANCE_LINE);
  return [...lines.slice(0, at + 1), ...lines.slice(at + 3)].join('\n');
}

/**
 * Why gc must not run, or undefined: replicas on storage that is not shared each have their own
 * blobs, and a collector run in one of them would judge only that one's.
 */
export function gcRefusal(spec: RegistrySpec, replicas: number): UsageError | undefined {
  const storage = spec.storage;
  if (replicas <= 1 || !('filesystem' in storage) || storage.filesystem.shared) return undefined;
  return new UsageError(
    `the registry runs ${replicas} replicas on ${storage.filesystem.path}, which is not shared storage: ` +
      'each replica keeps its own blobs, and garbage collection in one would not see what the others hold; nothing was changed',
    {
      code: 'EGC_NOT_SHARED',
      suggestions: [
        'Put the registry on shared storage (NFS and the like, with shared: true) or s3, or keep one registry host.',
      ],
    },
  );
}

/** `registry garbage-collect` as run inside a replica (argv; the config path is the mounted one). */
export function collectorArgs(options: { dryRun: boolean; deleteUntagged: boolean }): string[] {
  // The official image and the sandbox's both have the binary there; an exec may have no PATH to search.
  return [
    '/bin/registry',
    'garbage-collect',
    ...(options.dryRun ? ['--dry-run'] : []),
    ...(options.deleteUntagged ? ['--delete-untagged'] : []),
    '/etc/docker/registry/config.yml',
  ];
}

/** What the collector said it did. */
export interface CollectorReport {
  blobsMarked: number;
  /** Blobs it deleted (or, with --dry-run, would delete). */
  blobsEligible: number;
  manifestsEligible: number;
  /** The digests of those blobs. */
  blobs: string[];
}

/**
 * Parses Distribution 2.8's output: `blob eligible for deletion: sha256:…` per blob and the summary
 * `N blobs marked, M blobs and K manifests eligible for deletion`. Without the summary the output is
 * not the collector's (or it stopped): an error, not a zero.
 */
export function parseCollectorOutput(output: string): CollectorReport {
  const summary = /(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion/.exec(output);
  if (!summary) {
    const tail = output.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`the garbage collector printed no summary (${tail || 'no output'})`);
  }
  const blobs = [
    ...new Set([...output.matchAll(/blob eligible for deletion: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!)),
  ];
  return {
    blobsMarked: Number(summary[1]),
    blobsEligible: Number(summary[2]),
    manifestsEligible: Number(summary[3]),
    blobs,
  };
}

/** Where Distribution keeps repositories inside a replica: `_uploads` dirs under it hold uploads. */
export const REPOSITORIES_DIR = `${STORAGE_TARGET}/docker/registry/v2/repositories`;

/**
 * Prints how many upload files were written in the last `$1` seconds (an upload in flight), counted on
 * the host's storage path `$2`; the path reaches the script as an argument, never as text.
 */
export const UPLOADS_IN_FLIGHT_SCRIPT =
  'd="$2/docker/registry/v2/repositories"; [ -d "$d" ] || { echo 0; exit 0; }; ' +
  'find "$d" -path "*/_uploads/*" -newermt "-$1 seconds" 2>/dev/null | wc -l';

/** Prints the bytes under `$1` (the host's storage path), `du -sb` as a number only. */
export const STORAGE_BYTES_SCRIPT = 'du -sb "$1" | cut -f1';
