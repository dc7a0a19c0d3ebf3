/**
 * `POST /v1/poses` (one image → one result document) and `POST /v1/poses/batch` (several
 * images → one result or error each). An image comes as a multipart file or as the raw body
 * (`image/jpeg`, `image/png`, `image/webp`); the options of `metrabs detect` come in the query
 * string or as multipart fields of the same names. The schemas below validate requests and
 * make the OpenAPI document.
 */
import type { ResultDocument, ResultModelInfo } from '@metrabs/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { estimateDocument, type PoseEstimatorLike } from '../estimate.js';
import { decodeImage, IMAGE_CONTENT_TYPES, inspectImage } from '../image-input.js';
import { toApiError } from '../plugins/errors.js';
import { uploadsOf } from '../plugins/uploads.js';
import type { EstimatorPool } from '../pool.js';
import {
  OPTION_PROPERTIES,
  parseJsonText,
  planPoses,
  QUERY_SCHEMA,
  type RequestOptions,
} from '../request-options.js';
import type { ServiceState } from '../state.js';

/** A file part of a multipart body, or the raw body: sent as bytes, shown as binary. */
const IMAGE_PART = {
  contentEncoding: 'binary',
  description: 'a JPEG, PNG or WebP image',
} as const;

const CAMERA_FIELD = {
  anyOf: [{ type: 'string' }, { type: 'object' }],
  description:
    'camera file contents as JSON (a text field, a file, or a field of type application/json): {"intrinsic_matrix": 3×3, "distortion_coeffs", "extrinsic_matrix" (4×4, mm), "world_up"}',
} as const;

function formSchema(imageField: 'image' | 'images', description: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [imageField],
    properties: {
      [imageField]:
        imageField === 'image'
          ? { ...IMAGE_PART, description }
          : {
              description,
              anyOf: [IMAGE_PART, { type: 'array', items: IMAGE_PART }],
            },
      ...OPTION_PROPERTIES,
      camera: CAMERA_FIELD,
    },
  };
}

const ERROR_RESPONSES = {
  400: { $ref: 'Error#', description: 'bad image or options' },
  401: { $ref: 'Error#', description: 'missing or wrong bearer token' },
  413: { $ref: 'Error#', description: 'too many bytes, pixels or images' },
  415: { $ref: 'Error#', description: 'not a JPEG, PNG or WebP image' },
  503: {
    $ref: 'Error#',
    description: 'queue full, timed out, loading or shutting down (with Retry-After)',
  },
} as const;

const RESULT_DOCUMENT = {
  type: 'object',
  additionalProperties: true,
  description:
    'the result document of @metrabs/runtime (format "metrabs-result", JSON Schema: docs/result.schema.json): boxes, poses3d (mm), poses2d (px), jointNames, edges, intrinsicMatrix, distancesM, settings',
} as const;

const ITEM_ERROR = {
  type: 'object',
  required: ['image', 'error'],
  properties: {
    image: { type: 'string' },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

function rawBodies(description: string) {
  return Object.fromEntries(
    IMAGE_CONTENT_TYPES.map((type) => [type, { schema: { ...IMAGE_PART, description } }]),
  );
}

/** A multipart upload or raw body, with its name for the result document and errors. */
interface Upload {
  label: string;
  bytes: Uint8Array;
}

/** An item of a batch answer that failed. */
interface ItemError {
  image: string;
  error: { code: ApiErrorCode; message: string };
}

export interface PosesRouteOptions {
  state: ServiceState;
  config: ServerConfig;
}

export default async function poseRoutes(
  app: FastifyInstance,
  { state, config }: PosesRouteOptions,
): Promise<void> {
  // These routes take images, not JSON or text; raw image bodies arrive as one bounded buffer.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    [...IMAGE_CONTENT_TYPES],
    { parseAs: 'buffer', bodyLimit: config.maxBodyBytes },
    (_request, body, done) => done(null, body),
  );

  function ready(): { pool: EstimatorPool<PoseEstimatorLike>; model: ResultModelInfo } {
    if (state.closing || state.pool?.closed) {
      throw new ApiError('shutting-down', 'the server is shutting down');
    }
    if (!state.pool || !state.model) throw new ApiError('not-ready', 'the model is still loading');
    return { pool: state.pool, model: state.model };
  }

  /** Refuses work the pool cannot take before the body is even read (route `onRequest`). */
  async function admitEarly(): Promise<void> {
    ready().pool.admit(1);
  }

  /** Runs one image through a pool estimator, within the request's deadline. */
  async function runImage(
    upload: Upload,
    options: RequestOptions,
    signal: AbortSignal,
  ): Promise<ResultDocument> {
    const { pool, model } = ready();
    const plan = planPoses(options, pool.availableSkeletons());
    // A full queue is answered before any image work; format and size come from the header,
    // before the image waits for an estimator.
    pool.admit(1);
    await inspectImage(upload.bytes, upload.label, config.maxPixels);
    const work = pool.run(async (estimator) => {
      const started = performance.now();
      let outcome: 'ok' | 'error' = 'error';
      try {
        const image = await decodeImage(upload.bytes, upload.label, config.maxPixels);
        const document = await estimateDocument(estimator, image, plan, upload.label, model);
        outcome = 'ok';
        return document;
      } finally {
        app.metrics.observeInference((performance.now() - started) / 1000, outcome);
      }
    }, signal);
    return withDeadline(work, signal);
  }

  app.post(
    '/v1/poses',
    {
      onRequest: admitEarly,
      config: {
        multipartOptions: {
          limits: { files: 2, fields: 16, fileSize: config.maxBodyBytes, fieldSize: 65_536 },
        },
      },
      schema: {
        summary: '3D poses of everyone in one image',
        description:
          'Send the image as the multipart file `image` (options as further fields or in the query) or as the raw body with its image content type (options in the query). Answers the result document.',
        tags: ['poses'],
        querystring: QUERY_SCHEMA,
        body: {
          content: {
            'multipart/form-data': {
              schema: formSchema('image', 'the image (JPEG, PNG or WebP)'),
            },
            ...rawBodies('the image itself'),
          },
        },
        response: { 200: RESULT_DOCUMENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const options = requestOptions(request);
      const uploads = uploadsOf(request, 'image');
      if (uploads.length > 1) {
        throw new ApiError('too-many-images', 'one image per request here; use /v1/poses/batch');
      }
      const upload = uploads[0] ?? rawUpload(request);
      return runImage(upload, options, deadline(request, reply, config.requestTimeoutMs));
    },
  );

  app.post(
    '/v1/poses/batch',
    {
      onRequest: admitEarly,
      config: {
        multipartOptions: {
          limits: {
            files: config.maxBatchImages + 1,
            fields: 16,
            fileSize: config.maxBodyBytes,
            fieldSize: 65_536,
          },
        },
      },
      schema: {
        summary: '3D poses in several images',
        description: `Send up to ${config.maxBatchImages} images as multipart files named \`images\`, options as further fields or in the query (the same for every image). Answers one item per image, in order: its result document, or \`{ image, error }\` when that image failed.`,
        tags: ['poses'],
        querystring: QUERY_SCHEMA,
        body: {
          content: {
            'multipart/form-data': {
              schema: formSchema(
                'images',
                `the images (JPEG, PNG or WebP), 1–${config.maxBatchImages}`,
              ),
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['images', 'failed', 'results'],
            properties: {
              images: { type: 'integer', description: 'images received' },
              failed: { type: 'integer', description: 'images that got an error item' },
              results: {
                type: 'array',
                items: {
                  ...RESULT_DOCUMENT,
                  description: `${RESULT_DOCUMENT.description}; or, for an image that failed: ${JSON.stringify(ITEM_ERROR)}`,
                },
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new ApiError(
          'no-image',
          'send the images as multipart/form-data files named "images"',
        );
      }
      const options = requestOptions(request);
      const uploads = uploadsOf(request, 'images');
      if (uploads.length === 0)
        throw new ApiError('no-image', 'no files named "images" in the request');
      if (uploads.length > config.maxBatchImages) {
        throw new ApiError(
          'too-many-images',
          `${uploads.length} images; at most ${config.maxBatchImages} per request`,
        );
      }
      const { pool } = ready();
      // Options are checked once for the request: a bad option fails it as a whole.
      planPoses(options, pool.availableSkeletons());
      pool.admit(uploads.length);
      const signal = deadline(request, reply, config.requestTimeoutMs);
      const results = await Promise.all(
        uploads.map((upload) =>
          runImage(upload, options, signal).catch((e: unknown): ItemError => {
            const error = toApiError(e);
            if (error.code === 'internal') request.log.error({ err: e }, 'unexpected error');
            return { image: upload.label, error: { code: error.code, message: error.message } };
          }),
        ),
      );
      const failed = results.filter((r) => 'error' in r).length;
      return { images: uploads.length, failed, results };
    },
  );
}

/** The options of a request: the query string and the multipart fields (not both for one). */
function requestOptions(request: FastifyRequest): RequestOptions {
  const merged: Record<string, unknown> = { ...(request.query as Record<string, unknown>) };
  const form = request.isMultipart() ? ((request.body ?? {}) as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(form)) {
    if (key === 'image' || key === 'images') continue;
    if (key in merged) throw new ApiError('bad-options', `${key} is given twice (query and form)`);
    merged[key] = value;
  }
  if (typeof merged['camera'] === 'string') {
    merged['camera'] = parseJsonText(merged['camera'], 'camera');
  }
  return merged as RequestOptions;
}

/** The raw body as an upload, or `no-image`. */
function rawUpload(request: FastifyRequest): Upload {
  const body = request.body;
  if (!(body instanceof Uint8Array)) {
    throw new ApiError(
      'no-image',
      'no image: send it as the multipart file "image" or as the body (Content-Type image/jpeg, image/png or image/webp)',
    );
  }
  return { label: 'image', bytes: body };
}

/**
 * The request's deadline: `timeoutMs` after it arrived (upload time counts), or earlier when
 * the client goes away, so nobody waits for an estimator on behalf of a closed connection.
 */
function deadline(request: FastifyRequest, reply: FastifyReply, timeoutMs: number): AbortSignal {
  const elapsedMs = request.startedAt
    ? Number(process.hrtime.bigint() - request.startedAt) / 1e6
    : 0;
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return AbortSignal.any([
    AbortSignal.timeout(Math.max(1, Math.round(timeoutMs - elapsedMs))),
    gone.signal,
  ]);
}

/**
 * `work`, or a `timeout` error as soon as `signal` aborts. The estimator finishes the image
 * anyway (a network run cannot be interrupted) and is then free again; its result is dropped.
 */
function withDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(timedOut());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(timedOut());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function timedOut(): ApiError {
  return new ApiError('timeout', 'the request took longer than the time limit; try again later');
}
