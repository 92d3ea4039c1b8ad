import { connect, createServer, type Server, type Socket } from 'node:net';

/** A relay to a server on 127.0.0.1 that a test can take away and bring back: see {@link relay}. */
export interface Relay {
  /** The relay's own port on 127.0.0.1: connect here instead of to the server. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Drops every connection and refuses new ones. */
  down(): void;
  /** Takes connections again, on the same port. */
  up(): Promise<void>;
  /** Keeps every connection and takes new ones, and passes nothing on: a server that hangs. */
  freeze(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay to the server on `port`: while down, it drops every connection and refuses new ones,
 * as a server that restarts or a network that fails does; the server itself keeps its data.
 */
export async function relay(port: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let frozen = false;
  let server: Server | undefined;
  let relayPort = 0;
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const keep = (socket: Socket): void => {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      };
      keep(client);
      if (frozen) {
        client.pause();
        return;
      }
      const upstream = connect({ host: '127.0.0.1', port });
      keep(upstream);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server?.listen(relayPort, '127.0.0.1', resolve));
    relayPort = (server?.address() as { port: number }).port;
  };
  const down = (): void => {
    server?.close();
    for (const socket of sockets) socket.destroy();
  };
  const freeze = (): void => {
    frozen = true;
    for (const socket of sockets) {
      socket.unpipe();
      socket.pause();
    }
  };
  await listen();
  return { port: relayPort, url: `redis://127.0.0.1:${relayPort}`, down, up: listen, freeze, close: async () => down() };
}
