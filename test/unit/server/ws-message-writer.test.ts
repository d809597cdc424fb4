import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createMessageWriter, textFrameHeader } from '../../../src/server/ws-message-writer.ts';

const open: Array<{ close(): void }> = [];

afterEach(() => {
  for (const closable of open.splice(0).reverse()) {
    closable.close();
  }
});

/** A real ws server and client on loopback; resolves with both ends once connected. */
async function connect(perMessageDeflate: boolean) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  open.push(wss);
  await once(wss, 'listening');
  const accepted = once(wss, 'connection') as Promise<[WebSocket, { socket: import('node:net').Socket }]>;
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate });
  open.push(client);
  const [server, request] = await accepted;
  await once(client, 'open');
  return { server, raw: request.socket, client };
}

function receive(client: WebSocket, count: number): Promise<Array<{ text: string; binary: boolean }>> {
  return new Promise((resolve) => {
    const messages: Array<{ text: string; binary: boolean }> = [];
    client.on('message', (data, binary) => {
      messages.push({ text: data.toString(), binary });
      if (messages.length === count) {
        resolve(messages);
      }
    });
  });
}

describe('WebSocket message writer', () => {
  it('encodes the three RFC 6455 payload-length forms', () => {
    expect([...textFrameHeader(125)]).toEqual([0x81, 125]);
    expect([...textFrameHeader(126)]).toEqual([0x81, 126, 0, 126]);
    expect([...textFrameHeader(65_535)]).toEqual([0x81, 126, 0xff, 0xff]);
    expect([...textFrameHeader(65_536)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect([...textFrameHeader(2 ** 32 + 5)]).toEqual([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
  });

  for (const perMessageDeflate of [false, true]) {
    it(`delivers whole text messages of every size in order, between ws's own frames (deflate ${perMessageDeflate ? 'on' : 'off'})`, async () => {
      const { server, raw, client } = await connect(perMessageDeflate);
      expect(server.extensions === '').toBe(!perMessageDeflate);
      const writer = createMessageWriter(server, raw);
      expect(writer.isOpen()).toBe(true);
      const sizes = [0, 10, 125, 126, 65_535, 65_536, 300_000];
      const bodies = sizes.map((size, i) => `${i}:${'x'.repeat(size)}.`);
      const received = receive(client, bodies.length * 2);
      const written: Array<Error | undefined> = [];
      for (const body of bodies) {
        const shared = Buffer.from(body.slice(2, -1));
        writer.write([Buffer.from(body.slice(0, 2)), shared, Buffer.from(body.slice(-1))], (error) =>
          written.push(error),
        );
        // ws's own frame in between: a direct write must never split or reorder it.
        server.send(`ws-${body.length}`);
      }
      const messages = await received;
      expect(messages.map((m) => m.text)).toEqual(bodies.flatMap((body) => [body, `ws-${body.length}`]));
      expect(messages.every((m) => !m.binary)).toBe(true);
      expect(written).toEqual(bodies.map(() => undefined));
    });
  }

  it('reports a closed connection, so nothing is written after the close frame', async () => {
    const { server, raw, client } = await connect(false);
    const writer = createMessageWriter(server, raw);
    const closed = once(client, 'close');
    server.close(1000, 'bye');
    expect(writer.isOpen()).toBe(false);
    const [code] = await closed;
    expect(code).toBe(1000);
  });
});
