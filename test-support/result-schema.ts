/**
 * Validation against the result document's JSON Schema (docs/result.schema.json), for the
 * tests of every front end that writes result documents.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const SCHEMA_PATH = new URL('../docs/result.schema.json', import.meta.url);
const validate = new Ajv2020({ allErrors: true }).compile(
  JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')),
);

/** The schema's complaints about `document` ([] when it is valid). */
export function resultSchemaErrors(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
