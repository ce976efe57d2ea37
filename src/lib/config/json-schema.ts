import { z } from 'zod';
import { clusterSchema } from './schema.js';

/** The JSON Schema's `$id`: a name for it, never fetched (editors read the file init writes). */
export const CLUSTER_SCHEMA_URL =
  'https://raw.githubusercontent.com/eectl/eectl/main/schema/cluster.schema.json';

/**
 * What `eectl init` puts on the `# yaml-language-server: $schema=` line: the schema file it writes beside
 * the cluster file, relative to it, so editors complete and check the file offline (as in a clone, where
 * `schema/cluster.schema.json` is the committed file).
 */
export const CLUSTER_SCHEMA_REF = './schema/cluster.schema.json';

/** The JSON Schema of the cluster file, generated from the zod schema (defaulted fields are optional). */
export function clusterJsonSchema(): Record<string, unknown> {
  // draft-07: the dialect yaml-language-server and editors' JSON services implement fully.
  const { $schema, ...rest } = z.toJSONSchema(clusterSchema, { io: 'input', target: 'draft-7' });
  return {
    $schema,
    $id: CLUSTER_SCHEMA_URL,
    title: 'eectl cluster file',
    description: 'A cluster eectl installs and operates over SSH (apiVersion eectl/v1, kind Cluster)',
    ...rest,
  };
}

/** The committed file's exact text, so a drift test can compare byte for byte. */
export function clusterJsonSchemaText(): string {
  return `${JSON.stringify(clusterJsonSchema(), null, 2)}\n`;
}
