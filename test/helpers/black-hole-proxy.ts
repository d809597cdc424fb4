import { createConnection, createServer, type Socket } from 'node:net';

export interface BlackHoleProxy {
  /** `http://127.0.0.1:<port>`: point a client here instead of at the target. */
  readonly url: string;
  /** New connections are accepted and read, and nothing is ever answered or forwarded. */
  swallow(): void;
  /** New connections are piped to the target; swallowed ones stay swallowed. */
  forward(): void;
  /** Connections swallowed so far: proof that a client really tried while the target was away. */
  readonly swallowedConnections: number;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy that can make its target vanish without the target seeing a byte. Pausing the
 * target process (SIGSTOP) is not that: the kernel still accepts and buffers the request, and the target
 * may store it when it resumes, so "was it lost?" becomes a race.
 */
export async function startBlackHoleProxy(targetPort: number): Promise<BlackHoleProxy> {
  let swallowing = false;
  let swallowed = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (swallowing) {
      swallowed += 1;
      client.resume();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    upstream.once('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    swallow: () => {
      swallowing = true;
    },
    forward: () => {
      swallowing = false;
    },
    get swallowedConnections() {
      return swallowed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
