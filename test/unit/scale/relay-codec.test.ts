import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildIndexSnapshot } from '../../../src/collectors/collect-once.ts';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  RELAY_FORMAT_VERSION,
  UnsupportedRelayFormatError,
} from '../../../src/scale/relay-codec.ts';
import { createTestMarket, TEST_INSTANT, testSettings } from '../../helpers/simulated-snapshots.ts';

describe('relay codec', () => {
  const snapshot = buildIndexSnapshot(
    createTestMarket('NIFTY').advance(TEST_INSTANT),
    42,
    testSettings({ strikesAroundAtm: 30 }),
  );

  it('round-trips a whole snapshot exactly: Dates as Dates, nulls as nulls, every float64 bit', () => {
    const bytes = encodeRelayMessage({ kind: 'snapshot', snapshot });
    const decoded = decodeRelayMessage(bytes);
    expect(decoded.kind).toBe('snapshot');
    const back = decoded.kind === 'snapshot' ? decoded.snapshot : null;
    expect(back?.observedAt).toBeInstanceOf(Date);
    expect(back?.chains[0]?.observedAt.getTime()).toBe(snapshot.chains[0]?.observedAt.getTime());
    expect(isDeepStrictEqual(back, snapshot)).toBe(true);
    // Smaller than JSON of the same snapshot.
    expect(bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(snapshot)));
  });

  it('round-trips a collector status', () => {
    const status = {
      collectorId: 'host:1:abc',
      provider: { ready: false, problems: ['kite: token expired'] },
      collectors: [
        {
          index: 'NIFTY' as const,
          ticks: 3,
          consecutiveFailures: 1,
          lastSuccessAt: TEST_INSTANT,
          lastFailureAt: null,
          lastError: 'boom',
          resting: false,
          resumesAt: null,
          resumedAt: null,
        },
      ],
      indices: ['NIFTY' as const],
      sentAt: TEST_INSTANT,
    };
    const decoded = decodeRelayMessage(encodeRelayMessage({ kind: 'status', status }));
    expect(decoded).toEqual({ kind: 'status', status });
  });

  it('refuses another format version and foreign bytes, saying what to do', () => {
    const bytes = encodeRelayMessage({ kind: 'snapshot', snapshot });
    const newer = Buffer.from(bytes);
    newer[2] = RELAY_FORMAT_VERSION + 1;
    expect(() => decodeRelayMessage(newer)).toThrow(UnsupportedRelayFormatError);
    expect(() => decodeRelayMessage(newer)).toThrow(/format version 2; this G6 reads version 1.*same release/);
    expect(() => decodeRelayMessage(Buffer.from('{"seq":1}'))).toThrow(/not G6's/);
    const unknownKind = Buffer.from(bytes);
    unknownKind[3] = 9;
    expect(() => decodeRelayMessage(unknownKind)).toThrow(/unknown kind 9/);
  });
});
