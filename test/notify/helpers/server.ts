import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  /** Lower-cased names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** The raw body, decoded as UTF-8. */
  readonly body: string;
  /** `performance.now()` when the body had arrived. */
  readonly receivedAt: number;
}

/** What the server does with one request. */
export type Reply =
  | { readonly status?: number; readonly headers?: Record<string, string>; readonly body?: string; readonly delayMs?: number }
  /** Never answer (until the server closes). */
  | 'hang'
  /** Drop the connection without an answer. */
  | 'destroy';

/** A real HTTP server on 127.0.0.1, on a port the OS picked, recording every request. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` with no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Queues replies, one per coming request; once they run out, `fallback` answers. */
  reply(...replies: Reply[]): void;
  /** Requests whose response has not closed yet (a client that gave up closes its side). */
  openResponses(): number;
  close(): Promise<void>;
}

export async function startServer(fallback: Reply = { status: 200, body: 'OK' }): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let open = 0;

  const send = (res: ServerResponse, reply: Reply): void => {
    if (reply === 'hang') return;
    if (reply === 'destroy') {
      res.socket?.destroy();
      return;
    }
    const write = (): void => {
      res.writeHead(reply.status ?? 200, reply.headers ?? {});
      res.end(reply.body ?? '');
    };
    if (reply.delayMs === undefined) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) write();
    }, reply.delayMs);
    timers.add(timer);
  };

  const server = createServer((req, res) => {
    open += 1;
    res.on('close', () => {
      open -= 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: performance.now(),
      });
      send(res, queue.shift() ?? fallback);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    reply: (...replies) => queue.push(...replies),
    openResponses: () => open,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A port that was open a moment ago and is closed now: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
