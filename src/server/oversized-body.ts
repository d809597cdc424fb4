import type { IncomingMessage } from 'node:http';

/** Bodies up to this many times the limit are read and dropped before the 413, so the client reads it. */
const DRAIN_FACTOR = 16;
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * A request that declares a body over the limit. Answering before reading it would close the socket
 * with the body unread in the kernel's buffer, which resets the connection: the client, still sending,
 * gets ECONNRESET instead of the 413. So a body of reasonable size is read and dropped first (bounded in
 * bytes and time); a larger one is refused at once and its connection closed.
 */
export async function drainOversizedBody(
  req: IncomingMessage,
  maxBodyBytes: number,
): Promise<{ readonly declaredBytes: number; readonly drained: boolean } | null> {
  const declared = Number(req.headers['content-length']);
  if (!Number.isFinite(declared) || declared <= maxBodyBytes) {
    return null;
  }
  if (declared > DRAIN_FACTOR * Math.max(maxBodyBytes, 64 * 1024)) {
    return { declaredBytes: declared, drained: false };
  }
  const drained = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), DRAIN_TIMEOUT_MS);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    req.on('data', () => undefined);
    req.once('end', () => done(true));
    req.once('error', () => done(false));
    req.once('close', () => done(req.complete));
  });
  return { declaredBytes: declared, drained };
}
