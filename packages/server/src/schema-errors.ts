/**
 * Request validation errors as one sentence that names the field: `numAug: must be >= 1`,
 * `unknown option "numaug" in the query string`. Fastify calls this with Ajv's errors. Pure.
 */
import type { FastifySchemaValidationError } from 'fastify';

const PARTS: Record<string, string> = {
  querystring: 'the query string',
  body: 'the form',
  params: 'the path',
  headers: 'the headers',
};

export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  const part = PARTS[dataVar] ?? dataVar;
  if (!e) return new Error(`invalid ${part}`);
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const params = e.params as Record<string, unknown>;
  let text: string;
  if (e.keyword === 'additionalProperties') {
    const name = String(params['additionalProperty']);
    text = `${field ? `${field}: ` : ''}unknown option "${name}" in ${part}`;
  } else if (e.keyword === 'required') {
    text = `${field ? `${field}: ` : ''}missing "${String(params['missingProperty'])}" in ${part}`;
  } else {
    text = `${field || part}: ${e.message ?? 'is invalid'}`;
  }
  return new Error(text);
}
