import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TickOutcome } from '../../src/providers/kite/live-chain.ts';
import { frame } from '../fake-kite/ticker-packets.ts';
import { createEventQueue } from '../helpers/deferred.ts';
import { fakeClock, kiteProviderFor, startFakeKite, tempDir } from '../helpers/fake-kite.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

describe('KiteTicker live ticks', () => {
  it('merges full-mode ticks, survives drops, refused handshakes and malformed frames, and resubscribes', async () => {
    const exit = vi.spyOn(process, 'exit');
    const clock = fakeClock('2026-08-17T05:00:00Z');
    const fake = await startFakeKite({
      now: clock.now,
      quoteRequestsPerSecond: 100,
    });
    cleanup.push(() => fake.close());
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const connection = createEventQueue<boolean>();
    const changes = createEventQueue<string>();
    const outcomes: TickOutcome[] = [];
    const provider = kiteProviderFor(fake, {
      cacheDir: dir.path,
      now: clock.now,
      ticker: true,
      quoteRequestsPerSecond: 50,
      tickerBackoffMs: { base: 20, max: 100 },
      events: {
        onTickerConnection: (connected) => connection.push(connected),
        onTick: (outcome) => outcomes.push(outcome),
      },
    });
    cleanup.push(() => provider.close());
    provider.subscribeLive?.((index) => changes.push(index));
    await provider.start?.();
    expect(await connection.next()).toBe(true);
    const data = await provider.fetchIndex('NIFTY', new AbortController().signal);
    const contract = data.expiries[0]!.strikes[30]!.call!;
    const token = contract.instrumentToken!;
    const priced = async (price: number) => {
      fake.market.overrides.set(token, price);
      await fake.whenStreaming(token);
      expect(fake.pushTicks([token])).toBeGreaterThan(0);
      expect(await changes.next()).toBe('NIFTY');
      const live = provider.liveData?.('NIFTY');
      const merged = live?.expiries[0]?.strikes.find((s) => s.call?.instrumentToken === token)?.call;
      expect(merged?.lastPrice).toBe(price);
    };
    await priced(123.45);
    // Subscribed only the ±30 window (plus spot and futures), in full mode.
    expect(fake.tickerSubscriptions().length).toBeLessThanOrEqual(7 * 61 * 2 + 1 + 3);

    // Server drops the socket and refuses the next two handshakes: G6 backs off and comes back.
    fake.refuseNextHandshakes(2);
    fake.dropTickerConnections();
    expect(await connection.next()).toBe(false);
    expect(await connection.next()).toBe(true);
    expect(fake.stats.refusedHandshakes).toBe(2);
    await priced(130.05);

    // Malformed frames: a lying packet count, a short packet, text error and order messages, and a
    // full packet with negative volume. None may crash; the bad packet counts as malformed.
    const bad = Buffer.alloc(184);
    bad.writeInt32BE(token, 0);
    bad.writeInt32BE(10_000, 4);
    bad.writeInt32BE(-5, 16);
    fake.sendRaw(Buffer.from([0, 9, 0, 184, 1, 2, 3]));
    fake.sendRaw(frame([Buffer.alloc(13)]));
    fake.sendRaw(JSON.stringify({ type: 'error', data: 'something broke' }));
    fake.sendRaw(JSON.stringify({ type: 'order', data: { order_id: '1' } }));
    fake.sendRaw(frame([bad]));
    await priced(131.1);
    expect(outcomes).toContain('malformed');
    const merged = provider
      .liveData?.('NIFTY')
      ?.expiries[0]?.strikes.find((s) => s.call?.instrumentToken === token)?.call;
    expect(merged?.volume).toBeGreaterThanOrEqual(0);

    // A minute later the market has traded on: full-mode ticks bring the new VWAP and the index's day.
    clock.set('2026-08-17T05:01:00Z');
    const spotToken = fake.market.spotToken('NIFTY');
    await fake.whenStreaming(spotToken);
    const before = provider.liveData?.('NIFTY');
    expect(fake.pushTicks([token, spotToken])).toBe(2);
    expect(await changes.next()).toBe('NIFTY');
    const paise = (price: number) => Math.round(price * 100) / 100;
    const located = fake.market.byToken().get(token) as Parameters<typeof fake.market.optionQuote>[0];
    const truth = fake.market.optionQuote(located)!;
    const live = provider.liveData?.('NIFTY');
    const call = live?.expiries[0]?.strikes.find((s) => s.call?.instrumentToken === token)?.call;
    expect(truth.averagePrice).not.toBeNull();
    expect(call?.averagePrice).toBe(paise(truth.averagePrice!));
    expect(call?.volume).toBe(truth.volume);
    const day = fake.market.spotDay('NIFTY')!;
    expect(live?.spot).toBe(paise(fake.market.spot('NIFTY')));
    expect(live?.spotDay).toEqual({
      open: paise(day.open),
      high: paise(day.high),
      low: paise(day.low),
      previousClose: paise(day.previousClose),
    });
    expect(live?.spotDay).not.toEqual(before?.spotDay);

    await provider.close();
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
  });
});
