import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { KiteProviderEvents } from './kite-provider.ts';

/**
 * The Kite provider's metrics, registered into `registry`; the events it returns keep them current. The
 * ticker's series exist only when the ticker is on: a 0 from a ticker switched off would read as
 * "disconnected" to the alert rule.
 */
export function registerKiteMetrics(
  registry: Registry,
  setup: { readonly ticker: boolean; readonly indices: readonly string[] },
): KiteProviderEvents {
  const requests = new Counter({
    name: 'g6_kite_requests_total',
    help: 'Kite REST calls by endpoint and outcome (ok, retried, token, final, failed)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'g6_kite_request_duration_seconds',
    help: 'Duration of Kite REST calls, rate-limit queueing excluded',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const tokenValid = new Gauge({
    name: 'g6_kite_token_valid',
    help: '1 while the Kite access token is usable, 0 when missing, expired or rejected',
    registers: [registry],
  });
  const tokenExpiry = new Gauge({
    name: 'g6_kite_token_expiry_timestamp_seconds',
    help: 'Unix time the current Kite access token expires (06:00 IST); 0 while no token is known',
    registers: [registry],
  });
  const ticks = new Counter({
    name: 'g6_kite_ticks_total',
    help: 'Ticker packets by outcome (applied, unknown instrument, malformed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const tickerRegisters = setup.ticker ? [registry] : [];
  const tickerConnected = new Gauge({
    name: 'g6_kite_ticker_connected',
    help: '1 while the Kite ticker WebSocket is connected',
    registers: tickerRegisters,
  });
  const tickerReconnects = new Counter({
    name: 'g6_kite_ticker_reconnects_total',
    help: 'Ticker reconnect attempts scheduled',
    registers: tickerRegisters,
  });
  const malformedQuotes = new Counter({
    name: 'g6_kite_malformed_quotes_total',
    help: 'Quote entries left out of a snapshot because their fields were invalid',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  // Present from the start, so rate() and increase() see the first one.
  for (const index of setup.indices) {
    malformedQuotes.inc({ index }, 0);
  }
  return {
    onRequest: (endpoint, outcome, durationMs) => {
      requests.inc({ endpoint, outcome });
      requestDuration.observe({ endpoint }, durationMs / 1000);
    },
    onTokenState: (state) => {
      tokenValid.set(state.status === 'valid' ? 1 : 0);
      tokenExpiry.set(state.expiresAt === null ? 0 : state.expiresAt.getTime() / 1000);
    },
    onTick: (outcome) => ticks.inc({ outcome }),
    onTickerConnection: (connected) => tickerConnected.set(connected ? 1 : 0),
    onTickerReconnect: () => tickerReconnects.inc(),
    onMalformedQuote: (index) => malformedQuotes.inc({ index }),
  };
}
