/**
 * Writes schema.graphql from the Pothos schema (`npm run schema:print`). The file is committed and a test
 * fails when it differs from the code, so API changes show up in review.
 */
import { writeFileSync } from 'node:fs';
import { printSortedSchema } from '../src/schema/index.ts';

const target = new URL('../schema.graphql', import.meta.url);
writeFileSync(target, printSortedSchema());
process.stdout.write(`wrote ${target.pathname}\n`);
