/**
 * The errors the service answers with: each has an HTTP status and a stable `code` that clients
 * can branch on, and becomes the JSON body `{ "error": { "code", "message" } }`.
 */

export type ApiErrorCode =
  | 'bad-request'
  | 'bad-options'
  | 'bad-camera'
  | 'unknown-skeleton'
  | 'no-image'
  | 'empty-image'
  | 'bad-image'
  | 'unsupported-image'
  | 'image-too-large'
  | 'body-too-large'
  | 'too-many-images'
  | 'unauthorized'
  | 'not-found'
  | 'overloaded'
  | 'timeout'
  | 'not-ready'
  | 'shutting-down'
  | 'internal';

const STATUS: Record<ApiErrorCode, number> = {
  'bad-request': 400,
  'bad-options': 400,
  'bad-camera': 400,
  'unknown-skeleton': 400,
  'no-image': 400,
  'empty-image': 400,
  'bad-image': 400,
  'unsupported-image': 415,
  'image-too-large': 413,
  'body-too-large': 413,
  'too-many-images': 413,
  unauthorized: 401,
  'not-found': 404,
  overloaded: 503,
  timeout: 503,
  'not-ready': 503,
  'shutting-down': 503,
  internal: 500,
};

/** An error with its HTTP status; the message is safe to show to the client. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;

  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = STATUS[code];
  }
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

/** The OpenAPI/JSON Schema of `ErrorBody`, shared by every route's error answers. */
export const ERROR_BODY_SCHEMA = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(STATUS) },
        message: { type: 'string' },
      },
    },
  },
} as const;
