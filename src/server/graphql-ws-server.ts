import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/** What graphql-ws hands every hook as `ctx.extra`. */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

export interface GraphqlWsOptions {
  readonly logger: Logger;
  /** Ping every this many ms; a socket that does not pong in as long is terminated. */
  readonly keepAliveMs?: number;
}

/**
 * graphql-ws on a `ws` server, as its `use/ws` does (protocol check, keep-alive pings, close on errors),
 * with errors logged through pino instead of the console. Subscription groups write their `next` messages
 * to `ctx.extra.socket` themselves (see subscription-groups.ts).
 */
export function useGraphqlWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WsExtra>,
  wss: WebSocketServer,
  settings: GraphqlWsOptions,
): { dispose(): Promise<void> } {
  const keepAliveMs = settings.keepAliveMs ?? 12_000;
  const { logger } = settings;
  const server = makeServer<P, WsExtra>(options);
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  wss.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      // ws has already closed a socket that broke the protocol or sent too much (1002, 1009); others go.
      logger.debug({ err: error }, 'WebSocket error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let pongWait: NodeJS.Timeout | null = null;
    const ping =
      keepAliveMs > 0
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) {
              return;
            }
            pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
            socket.once('pong', () => {
              if (pongWait !== null) {
                clearTimeout(pongWait);
                pongWait = null;
              }
            });
            socket.ping();
          }, keepAliveMs)
        : null;
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) {
              resolve();
              return;
            }
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (message) => {
            try {
              await handle(String(message));
            } catch (error) {
              logger.warn({ err: error }, 'WebSocket message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait !== null) {
        clearTimeout(pongWait);
      }
      if (ping !== null) {
        clearInterval(ping);
      }
      void closed(code, String(reason));
    });
  });
  return {
    async dispose() {
      for (const client of wss.clients) {
        client.close(1001, 'Going away');
      }
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
