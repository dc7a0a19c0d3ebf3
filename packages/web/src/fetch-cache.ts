/**
 * Downloads with progress, kept in the Cache API so the large files (the ONNX Runtime binary,
 * the model, the detector) load once. Works in windows and workers; where the Cache API is
 * missing (insecure origins) it simply downloads.
 */

export const CACHE_NAME = 'metrabs-web-v1';

/** A download failed; `status` is the HTTP status, 0 for network errors. */
export class FetchError extends Error {
  readonly url: string;
  readonly status: number;

  constructor(url: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchError';
    this.url = url;
    this.status = status;
  }
}

export interface FetchProgress {
  loaded: number;
  total: number;
  fromCache: boolean;
}

export interface FetchBytesOptions {
  onProgress?: (p: FetchProgress) => void;
  /** Cache key (a URL); different keys for different contents, e.g. with a version. */
  cacheKey?: string;
  useCache?: boolean;
  /** Checks downloaded bytes before they are cached (throw to reject them). */
  validate?: (bytes: Uint8Array) => Promise<void> | void;
}

async function openCache(): Promise<Cache | undefined> {
  try {
    return globalThis.caches ? await globalThis.caches.open(CACHE_NAME) : undefined;
  } catch {
    return undefined; // e.g. opaque origins, storage disabled
  }
}

async function readBody(
  response: Response,
  url: string,
  onProgress: ((p: FetchProgress) => void) | undefined,
  fromCache: boolean,
): Promise<Uint8Array> {
  const total = Number(response.headers.get('Content-Length') ?? 0) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let lastReport = 0;
  onProgress?.({ loaded, total, fromCache });
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (error) {
      throw new FetchError(url, 0, `download of ${url} was interrupted: ${String(error)}`, {
        cause: error,
      });
    }
    if (step.done) break;
    chunks.push(step.value);
    loaded += step.value.byteLength;
    const now = Date.now();
    if (now - lastReport > 100) {
      lastReport = now;
      onProgress?.({ loaded, total, fromCache });
    }
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  onProgress?.({ loaded, total: total || loaded, fromCache });
  return bytes;
}

/** Fetches `url` as bytes; throws `FetchError` with a readable message on failure. */
export async function fetchBytes(
  url: string,
  options: FetchBytesOptions = {},
): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
  const useCache = options.useCache !== false && options.cacheKey !== undefined;
  const cache = useCache ? await openCache() : undefined;
  if (cache && options.cacheKey) {
    const hit = await cache.match(options.cacheKey);
    if (hit) {
      const bytes = await readBody(hit, url, options.onProgress, true);
      return { bytes, fromCache: true };
    }
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new FetchError(
      url,
      0,
      `cannot download ${url}: network error or blocked by the browser (${String(error)})`,
      { cause: error },
    );
  }
  if (!response.ok) {
    throw new FetchError(
      url,
      response.status,
      `cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  const bytes = await readBody(response, url, options.onProgress, false);
  await options.validate?.(bytes);
  if (cache && options.cacheKey) {
    try {
      await cache.put(
        options.cacheKey,
        new Response(bytes as Uint8Array<ArrayBuffer>, {
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(bytes.byteLength),
          },
        }),
      );
    } catch {
      // Quota exceeded or storage disabled: keep working without the cache.
    }
  }
  return { bytes, fromCache: false };
}

/** Fetches and parses JSON (never cached, so a changed model package is noticed). */
export async function fetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (error) {
    throw new FetchError(url, 0, `cannot download ${url}: network error (${String(error)})`, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new FetchError(url, response.status, `cannot download ${url}: HTTP ${response.status}`);
  }
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    const type = response.headers.get('Content-Type') ?? 'unknown type';
    throw new FetchError(
      url,
      response.status,
      `${url} is not JSON (${type}${/html/i.test(type) ? ' — probably a "not found" page' : ''}): ${(error as Error).message}`,
    );
  }
}

/** Deletes the page's cache; returns how many entries it held. */
export async function clearCache(): Promise<number> {
  const cache = await openCache();
  if (!cache) return 0;
  const keys = await cache.keys();
  await globalThis.caches.delete(CACHE_NAME);
  return keys.length;
}
