import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../domain/errors.ts';
import { INDEX_SYMBOLS, type IndexSymbol } from '../domain/indices.ts';
import { type AnalyzedContract, type ChainSnapshot, contractsOf, type IndexSnapshot } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { IndexSymbolEnum } from './enums.ts';
import { badUserInput, MAX_TRADINGSYMBOLS, requireTradingsymbols } from './inputs.ts';
import { OptionQuoteRef } from './option-quote.ts';
import { snapshotStream } from './snapshot-stream.ts';

/** Where one contract sits in a snapshot. */
export interface ContractEntry {
  readonly snapshot: IndexSnapshot;
  readonly chain: ChainSnapshot;
  readonly strike: number;
  readonly right: 'CE' | 'PE';
  readonly contract: AnalyzedContract;
}

/** What OptionQuoteRef is backed by (option-quote.ts). */
interface QuoteView {
  readonly strike: number;
  readonly right: 'CE' | 'PE';
  readonly contract: AnalyzedContract;
}

const toQuoteView = (entry: ContractEntry): QuoteView => ({
  strike: entry.strike,
  right: entry.right,
  contract: entry.contract,
});

/** Snapshots never change once stored, so each one's symbol index is built once, on first use, and dies with it. */
const symbolIndexes = new WeakMap<IndexSnapshot, ReadonlyMap<string, ContractEntry>>();

export function contractsBySymbol(snapshot: IndexSnapshot): ReadonlyMap<string, ContractEntry> {
  let bySymbol = symbolIndexes.get(snapshot);
  if (bySymbol === undefined) {
    const built = new Map<string, ContractEntry>();
    for (const chain of snapshot.chains) {
      for (const { strike, right, contract } of contractsOf(chain)) {
        built.set(contract.quote.tradingsymbol, { snapshot, chain, strike, right, contract });
      }
    }
    symbolIndexes.set(snapshot, built);
    bySymbol = built;
  }
  return bySymbol;
}

// Longest names first, and a digit after the name (the expiry's year), so NIFTY never claims NIFTYNXT50….
const INDEX_PREFIX = new RegExp(`^(${[...INDEX_SYMBOLS].sort((a, b) => b.length - a.length).join('|')})\\d`);

/** The index a Kite/NSE option symbol belongs to by its name, when it names one G6 knows. */
export function indexOfTradingsymbol(tradingsymbol: string): IndexSymbol | null {
  return (INDEX_PREFIX.exec(tradingsymbol)?.[1] as IndexSymbol | undefined) ?? null;
}

/**
 * A symbol in the latest snapshots; PENDING when it names a collected index that has no snapshot yet (it
 * may well exist: we cannot tell before the first collection); UNKNOWN otherwise.
 */
type Lookup = ContractEntry | 'PENDING' | 'UNKNOWN';

function lookUp(ctx: GraphQLContext, tradingsymbol: string): Lookup {
  const named = indexOfTradingsymbol(tradingsymbol);
  const candidates = named !== null && ctx.indices.includes(named) ? [named] : ctx.indices;
  for (const index of candidates) {
    const snapshot = ctx.store.getIndex(index);
    const entry = snapshot === undefined ? undefined : contractsBySymbol(snapshot).get(tradingsymbol);
    if (entry !== undefined) {
      return entry;
    }
  }
  return named !== null && ctx.indices.includes(named) && ctx.store.getIndex(named) === undefined
    ? 'PENDING'
    : 'UNKNOWN';
}

function unknownContracts(tradingsymbols: readonly string[], ctx: GraphQLContext): GraphQLError {
  const waiting = [
    ...new Set(
      tradingsymbols
        .map(indexOfTradingsymbol)
        .filter((i) => i !== null && ctx.indices.includes(i) && ctx.store.getIndex(i) === undefined),
    ),
  ];
  const note = waiting.length === 0 ? '' : ` (no snapshot of ${waiting.join(', ')} yet)`;
  const message =
    tradingsymbols.length === 1
      ? `no contract ${tradingsymbols[0]} in the latest snapshots${note}`
      : `no contracts ${tradingsymbols.join(', ')} in the latest snapshots${note}`;
  return new GraphQLError(message, {
    extensions: {
      code: ERROR_CODES.UNKNOWN_CONTRACT,
      ...(tradingsymbols.length === 1 ? { tradingsymbol: tradingsymbols[0] } : {}),
      tradingsymbols,
    },
  });
}

/**
 * One loader per operation (keyed by its context object, which the server creates per operation): every
 * `contract`/`contracts` of a document is answered in one batch, from one read of the store, and a symbol
 * asked twice gets the same answer.
 */
const loaders = new WeakMap<GraphQLContext, DataLoader<string, Lookup>>();

function contractLoader(ctx: GraphQLContext): DataLoader<string, Lookup> {
  let loader = loaders.get(ctx);
  if (loader === undefined) {
    loader = new DataLoader<string, Lookup>(async (symbols) => symbols.map((s) => lookUp(ctx, s)));
    loaders.set(ctx, loader);
  }
  return loader;
}

builder.queryField('contract', (t) =>
  t.field({
    type: OptionQuoteRef,
    nullable: true,
    description:
      'One contract of the latest snapshots by its Kite tradingsymbol (e.g. NIFTY2682524600CE). A symbol that is not ' +
      'in them is UNKNOWN_CONTRACT; null only while its index has no snapshot yet.',
    args: { tradingsymbol: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const found = await contractLoader(ctx).load(args.tradingsymbol);
      if (found === 'PENDING') {
        return null;
      }
      if (found === 'UNKNOWN') {
        throw unknownContracts([args.tradingsymbol], ctx);
      }
      return toQuoteView(found);
    },
  }),
);

builder.queryField('contracts', (t) =>
  t.field({
    type: [OptionQuoteRef],
    description:
      `Contracts of the latest snapshots by tradingsymbol, in the order asked (at most ${MAX_TRADINGSYMBOLS}, else ` +
      'BAD_USER_INPUT). Any symbol not in them (or of an index without a snapshot yet) fails the field with one ' +
      'UNKNOWN_CONTRACT error listing them all (`extensions.tradingsymbols`).',
    args: { tradingsymbols: t.arg.stringList({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireTradingsymbols(args.tradingsymbols);
      const found = await contractLoader(ctx).loadMany(args.tradingsymbols);
      const missing = args.tradingsymbols.filter((_s, i) => typeof found[i] === 'string' || found[i] instanceof Error);
      if (missing.length > 0) {
        throw unknownContracts([...new Set(missing)], ctx);
      }
      return (found as ContractEntry[]).map(toQuoteView);
    },
  }),
);

interface ContractsTick {
  readonly seq: number;
  readonly index: IndexSymbol;
  readonly timestamp: Date;
  readonly contracts: readonly QuoteView[];
}

const ContractsTickRef = builder.objectRef<ContractsTick>('ContractsTick').implement({
  description: 'The contracts of one index whose quote changed at one snapshot.',
  fields: (t) => ({
    seq: t.int({
      description: 'Snapshot sequence number of `index` (per index: events of several indices interleave).',
      resolve: (tick) => tick.seq,
    }),
    index: t.field({ type: IndexSymbolEnum, resolve: (tick) => tick.index }),
    timestamp: t.field({
      type: 'DateTime',
      description: 'When the snapshot was observed.',
      resolve: (tick) => tick.timestamp,
    }),
    contracts: t.field({
      type: [OptionQuoteRef],
      description:
        'The subscribed contracts of this index whose lastPrice, bid, ask, volume, oi or iv differ from the last event ' +
        "sent (all of them in the index's first event), in the order subscribed. May be empty.",
      resolve: (tick) => tick.contracts,
    }),
  }),
});

/**
 * Events of all `sources` as they come. Each source has at most one `next()` in flight (so the pub/sub's
 * newest-wins conflation still bounds memory); a source that delivered goes to the back of the queue, so a
 * busy index cannot starve the others. `return()` ends every source.
 */
export function mergeStreams<T>(sources: readonly AsyncIterableIterator<T>[]): AsyncIterableIterator<T> {
  type Settled = { readonly source: number; readonly result: IteratorResult<T> };
  const inFlight = new Map<number, Promise<Settled>>();
  let ended = false;
  const pull = (source: number) =>
    inFlight.set(
      source,
      sources[source]!.next().then((result) => ({ source, result })),
    );
  sources.forEach((_s, i) => {
    pull(i);
  });
  const endAll = async () => {
    ended = true;
    inFlight.clear();
    await Promise.all(sources.map((s) => s.return?.()));
  };
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      while (!ended && inFlight.size > 0) {
        let settled: Settled;
        try {
          settled = await Promise.race(inFlight.values());
        } catch (error) {
          await endAll();
          throw error;
        }
        if (ended) {
          break;
        }
        inFlight.delete(settled.source);
        if (!settled.result.done) {
          pull(settled.source);
          return { done: false, value: settled.result.value };
        }
      }
      return { done: true, value: undefined };
    },
    async return() {
      await endAll();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The fields whose change makes a contract part of the next event. */
function quoteKey(contract: AnalyzedContract): string {
  const { lastPrice, bid, ask, volume, oi } = contract.quote;
  return JSON.stringify([lastPrice, bid, ask, volume, oi, contract.analytics.iv]);
}

/** Snapshots → ticks of the contracts that changed since this subscriber's last event; none for a snapshot holding none of them. */
function contractTicks(
  snapshots: AsyncIterableIterator<IndexSnapshot>,
  symbolsByIndex: ReadonlyMap<IndexSymbol, readonly string[]>,
): AsyncIterableIterator<ContractsTick> {
  const lastSent = new Map<string, string>();
  const iterator: AsyncIterableIterator<ContractsTick> = {
    async next() {
      for (;;) {
        const result = await snapshots.next();
        if (result.done) {
          return { done: true, value: undefined };
        }
        const snapshot = result.value;
        const bySymbol = contractsBySymbol(snapshot);
        let held = 0;
        const changed: QuoteView[] = [];
        for (const symbol of symbolsByIndex.get(snapshot.index) ?? []) {
          const entry = bySymbol.get(symbol);
          if (entry === undefined) {
            continue;
          }
          held += 1;
          const key = quoteKey(entry.contract);
          if (lastSent.get(symbol) !== key) {
            lastSent.set(symbol, key);
            changed.push(toQuoteView(entry));
          }
        }
        if (held > 0) {
          return {
            done: false,
            value: { seq: snapshot.seq, index: snapshot.index, timestamp: snapshot.observedAt, contracts: changed },
          };
        }
      }
    },
    async return() {
      await snapshots.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

builder.subscriptionField('contractsTicked', (t) =>
  t.field({
    type: ContractsTickRef,
    description:
      `Quotes of up to ${MAX_TRADINGSYMBOLS} contracts (more is BAD_USER_INPUT), of one index or several: for each ` +
      'snapshot of an index holding any of them, one event with only the contracts whose lastPrice, bid, ask, ' +
      "volume, oi or iv changed since this subscription's last event (all of them in each index's first event, sent " +
      "at once), possibly none; `seq` is the index's, so gaps show missed snapshots. Symbols not in the latest " +
      'snapshots are UNKNOWN_CONTRACT at subscribe time; a contract that later leaves the chain (expiry, window) is ' +
      'no longer sent.',
    args: { tradingsymbols: t.arg.stringList({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const symbols = requireTradingsymbols(args.tradingsymbols);
      if (symbols.length === 0) {
        throw badUserInput(`tradingsymbols takes 1 to ${MAX_TRADINGSYMBOLS} symbols`, 'tradingsymbols');
      }
      const symbolsByIndex = new Map<IndexSymbol, string[]>();
      const unknown: string[] = [];
      for (const symbol of symbols) {
        const found = lookUp(ctx, symbol);
        const index =
          found === 'UNKNOWN' ? null : found === 'PENDING' ? indexOfTradingsymbol(symbol)! : found.snapshot.index;
        if (index === null) {
          unknown.push(symbol);
        } else {
          symbolsByIndex.set(index, [...(symbolsByIndex.get(index) ?? []), symbol]);
        }
      }
      if (unknown.length > 0) {
        throw unknownContracts(unknown, ctx);
      }
      const indices = ctx.indices.filter((index) => symbolsByIndex.has(index));
      return contractTicks(mergeStreams(indices.map((index) => snapshotStream(ctx, index))), symbolsByIndex);
    },
    resolve: (tick: ContractsTick) => tick,
  }),
);
