import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterJsonSchema, clusterJsonSchemaText } from '../../../src/lib/config/json-schema.js';

const committed = new URL('../../../schema/cluster.schema.json', import.meta.url);

describe('schema/cluster.schema.json', () => {
  it('is what the zod schema generates (run `npm run build && npm run schema` after changing it)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(clusterJsonSchemaText());
  });

  it('names itself and leaves defaulted fields optional, as editors need', () => {
    const schema = clusterJsonSchema() as {
      $id: string;
      title: string;
      required: string[];
      properties: { spec: { required: string[] } };
    };
    expect(schema.$id).toMatch(/cluster\.schema\.json$/);
    expect(schema.title).toBe('eectl cluster file');
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.properties.spec.required).toEqual(['hosts']);
  });
});
