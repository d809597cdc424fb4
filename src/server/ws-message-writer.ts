import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** Writes whole text messages given as parts, so a payload shared by thousands is never copied per socket. */
export interface MessageWriter {
  isOpen(): boolean;
  /** One text message made of `parts` in order; `done` once the socket has taken it (or failed). */
  write(parts: readonly Buffer[], done: (error?: Error) => void): void;
}

const FIN_TEXT = 0x81;

/** RFC 6455 §5.2 header of an unmasked (server-to-client) text frame carrying `length` bytes. */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) {
    return Buffer.from([FIN_TEXT, length]);
  }
  if (length < 0x10000) {
    const header = Buffer.allocUnsafe(4);
    header[0] = FIN_TEXT;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = FIN_TEXT;
  header[1] = 127;
  header.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  header.writeUInt32BE(length % 0x1_0000_0000, 6);
  return header;
}

/**
 * A writer for one `ws` connection. Without a negotiated extension (G6's server offers none), `ws` writes
 * every frame to the socket as it is sent (its sender queues only while compressing or reading a Blob,
 * and G6 sends neither), so a frame written here straight to
 * the raw socket (`raw`, the upgrade request's socket) lands between whole frames of its own: header and
 * parts go out as one corked writev that references the shared payload. With permessage-deflate (a
 * server configured otherwise) frames must pass through `ws`, which compresses and queues them.
 */
export function createMessageWriter(ws: WebSocket, raw: Duplex): MessageWriter {
  const isOpen = () => ws.readyState === ws.OPEN;
  if (ws.extensions !== '') {
    return {
      isOpen,
      write: (parts, done) => ws.send(Buffer.concat(parts), { binary: false }, (error) => done(error ?? undefined)),
    };
  }
  return {
    isOpen,
    write(parts, done) {
      let length = 0;
      for (const part of parts) {
        length += part.length;
      }
      raw.cork();
      raw.write(textFrameHeader(length));
      for (let i = 0; i < parts.length - 1; i += 1) {
        raw.write(parts[i]);
      }
      raw.write(parts[parts.length - 1] ?? Buffer.alloc(0), (error) => done(error ?? undefined));
      raw.uncork();
    },
  };
}
