import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/** What graphql-ws hands every hook as `ctx.extra`. */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** Serialised payloads of `next` messages about to be sent on this socket, by subscription id. */
  readonly sharedPayloads: Map<string, Buffer>;
}

export interface GraphqlWsOptions {
  readonly logger: Logger;
  /** The JSON of a result serialised once for many sockets (a subscription group's event), if it is one. */
  readonly sharedPayload: (result: unknown) => Buffer | undefined;
  /** Ping every this many ms; a socket that does not pong in as long is terminated. */
  readonly keepAliveMs?: number;
}

// A `next` payload graphql-ws serialises in place of a shared one; the socket swaps the shared bytes in.
const MARKER = `g6-shared-${randomBytes(8).toString('hex')}`;
const PLACEHOLDER = Object.freeze({ [MARKER]: 1 });
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);
const NEXT_TAIL = `,"type":"next","payload":${PLACEHOLDER_JSON}}`;
const CLOSING_BRACE = Buffer.from('}');

/**
 * The text frame for a message graphql-ws serialised: a `next` carrying the placeholder becomes the same
 * envelope (`{"id":…,"type":"next","payload":` … `}`) around the shared payload bytes, so a group's event
 * is serialised once however many sockets take it.
 */
function frameOf(data: string, shared: Map<string, Buffer>): string | Buffer {
  if (!data.endsWith(NEXT_TAIL) || !data.startsWith('{"id":')) {
    return data;
  }
  const id = JSON.parse(data.slice('{"id":'.length, data.length - NEXT_TAIL.length)) as string;
  const payload = shared.get(id);
  if (payload === undefined) {
    return data;
  }
  shared.delete(id);
  const head = data.slice(0, data.length - PLACEHOLDER_JSON.length - 1);
  return Buffer.concat([Buffer.from(head), payload, CLOSING_BRACE]);
}

/**
 * graphql-ws on a `ws` server, as its `use/ws` does (protocol check, keep-alive pings, close on errors),
 * plus shared `next` payloads and errors logged through pino instead of the console.
 */
export function useGraphqlWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WsExtra>,
  wss: WebSocketServer,
  settings: GraphqlWsOptions,
): { dispose(): Promise<void> } {
  const keepAliveMs = settings.keepAliveMs ?? 12_000;
  const { logger } = settings;
  const server = makeServer<P, WsExtra>({
    ...options,
    onNext: async (ctx, id, payload, args, result) => {
      const replaced = await options.onNext?.(ctx, id, payload, args, result);
      if (replaced) {
        return replaced;
      }
      const shared = settings.sharedPayload(result);
      if (shared === undefined) {
        return undefined;
      }
      ctx.extra.sharedPayloads.set(id, shared);
      return PLACEHOLDER;
    },
  });
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
    const sharedPayloads = new Map<string, Buffer>();
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) {
              resolve();
              return;
            }
            socket.send(frameOf(data, sharedPayloads), { binary: false }, (error) =>
              error ? reject(error) : resolve(),
            );
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
      { socket, request, sharedPayloads },
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
