/**
 * Multipart bodies (@fastify/multipart): every part is read before validation, so the route
 * schemas check the fields like a query string (`numAug=1` becomes a number). Files are kept
 * in order with their names; a `camera` file becomes its text. The sum of the files is held to
 * `maxBodyBytes` (the plugin itself bounds each file, not the whole request).
 */
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';

/** One uploaded file. */
export interface UploadedFile {
  field: string;
  /** Its file name, or `<field>[i]` when the client sent none. */
  label: string;
  bytes: Uint8Array;
}

declare module 'fastify' {
  interface FastifyRequest {
    uploads?: UploadedFile[];
    /** True while the multipart plugin reads the body (errors then are the client's form's). */
    readingForm?: boolean;
  }
}

/** The files of `request` sent under `field`, in the order they came. */
export function uploadsOf(request: FastifyRequest, field: string): UploadedFile[] {
  return (request.uploads ?? []).filter((u) => u.field === field);
}

async function uploadsPlugin(app: FastifyInstance, options: { maxBodyBytes: number }) {
  async function onFile(this: FastifyRequest, part: MultipartFile): Promise<void> {
    const bytes = await part.toBuffer();
    this.uploads ??= [];
    const uploads = this.uploads;
    const total = uploads.reduce((sum, u) => sum + u.bytes.length, bytes.length);
    if (total > options.maxBodyBytes) {
      throw new ApiError(
        'body-too-large',
        `the files add up to more than the limit of ${options.maxBodyBytes} bytes`,
      );
    }
    const value = part as unknown as { value: unknown };
    if (part.fieldname === 'camera') {
      value.value = bytes.toString('utf8');
      return;
    }
    const n = uploads.filter((u) => u.field === part.fieldname).length;
    uploads.push({
      field: part.fieldname,
      label: part.filename || `${part.fieldname}[${n}]`,
      bytes,
    });
    value.value = bytes;
  }
  // The multipart plugin reads the body in its own preValidation hook: these two bracket it.
  app.addHook('preValidation', async (request) => {
    request.readingForm = request.isMultipart();
  });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    onFile,
    limits: { fileSize: options.maxBodyBytes, files: 1, fields: 16, fieldSize: 65_536 },
  });
  app.addHook('preValidation', async (request) => {
    request.readingForm = false;
  });
}

export default fp(uploadsPlugin, { name: 'metrabs-uploads', dependencies: ['metrabs-errors'] });
