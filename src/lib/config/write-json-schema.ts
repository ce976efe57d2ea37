import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clusterJsonSchemaText } from './json-schema.js';

// `npm run schema`: regenerates schema/cluster.schema.json from the zod schema (run after changing it; a
// unit test fails while the committed file and the code disagree). dist/lib/config → package root.
const target = fileURLToPath(new URL('../../../schema/cluster.schema.json', import.meta.url));
writeFileSync(target, clusterJsonSchemaText());
console.log(`wrote ${target}`);
