/**
 * Small file and HTTP helpers for tests that install, download or write files: numbered
 * scratch folders, checksums, folder listings and a local HTTP server with fixed routes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary root; `fresh()` gives a new empty folder below it, `remove()` deletes it all. */
export function scratchFolders(prefix: string): { fresh(): string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  return {
    fresh() {
      const dir = join(root, `t${n++}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Sorted names in `dir` (none when it does not exist): to spot leftover temporary files. */
export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export interface TestServer {
  base: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `routes[path]` on 127.0.0.1 (a free port); any other path answers 404. */
export async function serveRoutes(
  routes: Record<string, (res: ServerResponse) => void>,
): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(path);
    const route = routes[path];
    if (route) return route(res);
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<html>Not Found</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
