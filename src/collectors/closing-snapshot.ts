import { segmentOf } from '../domain/calendar/calendar-data.ts';
import { INDEX_SPECS, type IndexSymbol } from '../domain/indices.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { CsvHistory } from '../history/csv-history.ts';
import { marketDataFromRows } from '../providers/replay/replay-provider.ts';
import { type AnalysisSettings, buildIndexSnapshot } from './collect-once.ts';
import { DayBaselines } from './day-baselines.ts';

/**
 * The last session's closing snapshot of an index from the CSV store: the newest stored snapshot, when it
 * was taken at or after the latest close (a store that stops earlier lacks the close, and the collector
 * takes one instead). Analysed again with today's settings, keeping its stored `seq`, with the day's
 * changes measured from the session's first stored snapshot. Null when the store has no such snapshot.
 */
export async function loadClosingSnapshot(
  history: CsvHistory,
  index: IndexSymbol,
  clock: MarketClock,
  settings: AnalysisSettings,
  now: Date,
): Promise<IndexSnapshot | null> {
  const status = clock.status(segmentOf(INDEX_SPECS[index]), now);
  if (status.lastCloseAt === null) {
    return null;
  }
  const days = await history.days(index);
  const day = days.at(-1);
  if (day === undefined) {
    return null;
  }
  const overview = await history.overviewDay(index, day);
  const last = overview.at(-1);
  if (last === undefined || last.timestamp.getTime() < status.lastCloseAt.getTime() || last.timestamp > now) {
    return null;
  }
  const rows = overview.filter((o) => o.timestamp.getTime() === last.timestamp.getTime());
  const contracts = await history.contractsAt(index, day, last.timestamp);
  if (contracts.length === 0) {
    return null;
  }
  const data = marketDataFromRows(index, last.timestamp, rows, contracts);
  const segment = segmentOf(INDEX_SPECS[index]);
  const tradingDay = clock.status(segment, last.timestamp).tradingDay;
  // OI and price changes count from the session's first stored snapshot, as they did live.
  const baselines = new DayBaselines();
  const first = overview.find((o) => clock.status(segment, o.timestamp).tradingDay === tradingDay);
  if (first !== undefined && first.timestamp.getTime() !== last.timestamp.getTime()) {
    const opening = overview.filter((o) => o.timestamp.getTime() === first.timestamp.getTime());
    const openingContracts = await history.contractsAt(index, day, first.timestamp);
    if (openingContracts.length > 0) {
      baselines.observe(marketDataFromRows(index, first.timestamp, opening, openingContracts), tradingDay);
    }
  }
  return buildIndexSnapshot(data, last.seq ?? 1, settings, baselines.observe(data, tradingDay));
}
