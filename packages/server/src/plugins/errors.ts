/**
 * Every failure answers with the same JSON body `{ "error": { "code", "message" } }`:
 * the service's own `ApiError`s, Fastify's validation and body errors (mapped to stable codes),
 * unknown routes, and bugs (500, logged, no details leaked). A `503` carries `Retry-After`.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, type ApiErrorCode, type ErrorBody } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code the request was answered with (metrics label it so). */
    outcome?: ApiErrorCode;
  }
}

/** Fastify's and @fastify/multipart's error codes, as ours. */
const FRAMEWORK_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_REQ_FILE_TOO_LARGE: 'body-too-large',
  FST_PARTS_LIMIT: 'too-many-images',
  FST_FILES_LIMIT: 'too-many-images',
  FST_FIELDS_LIMIT: 'bad-request',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-image',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported-image',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'no-image',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_PROTO_VIOLATION: 'bad-request',
};

/** The `ApiError` an error thrown anywhere in a request stands for. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as FastifyError;
  if (e?.validation) {
    // The message names the field (schema-errors.ts); a missing image file is its own case.
    const first = e.validation[0];
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    if (first?.keyword === 'required' && (missing === 'image' || missing === 'images')) {
      return new ApiError('no-image', `no file named "${missing}" in the form`);
    }
    return new ApiError('bad-options', e.message);
  }
  const code = e?.code ? FRAMEWORK_CODES[e.code] : undefined;
  if (code === 'unsupported-image') {
    return new ApiError(
      code,
      `${e.message}: send multipart/form-data, or the image as the body with Content-Type image/jpeg, image/png or image/webp`,
    );
  }
  if (code) return new ApiError(code, e.message);
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('bad-request', e.message);
  }
  return new ApiError('internal', 'internal error', { cause: error });
}

/** Sends `error` as the JSON error body with its status (and `Retry-After` for a 503). */
export function sendError(reply: FastifyReply, error: ApiError, retryAfterSeconds: number) {
  reply.request.outcome = error.code;
  if (error.statusCode === 503) reply.header('retry-after', String(retryAfterSeconds));
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(body);
}

async function errorsPlugin(
  app: FastifyInstance,
  options: { retryAfterSeconds: number },
): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    let apiError = toApiError(error);
    if (apiError.code === 'internal' && request.readingForm) {
      // The form parser's own errors (a cut body, no boundary) carry no status: a bad request.
      apiError = new ApiError(
        'bad-request',
        `malformed multipart body: ${(error as Error).message}`,
      );
    }
    if (apiError.code === 'internal') request.log.error({ err: error }, 'unexpected error');
    return sendError(reply, apiError, options.retryAfterSeconds);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`),
      options.retryAfterSeconds,
    ),
  );
}

export default fp(errorsPlugin, { name: 'metrabs-errors' });
