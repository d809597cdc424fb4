import DataLoader from 'dataloader';
import type { IndexSymbol } from '../domain/indices.ts';
import { toIstCompactDate } from '../domain/ist-time.ts';
import {
  type ContractKey,
  type ContractRecord,
  type CsvHistory,
  contractKeyId,
  type OverviewRecord,
} from '../history/csv-history.ts';
import type { ContractField } from '../history/parquet-history.ts';
import type { StoredHistory } from '../history/stored-history.ts';

export interface ContractDayKey {
  readonly index: IndexSymbol;
  readonly day: string;
  readonly contract: ContractKey;
  /** The fields the reader needs (compacted days decode only those); every field when absent. */
  readonly fields?: readonly ContractField[];
}

const fieldsId = (fields: readonly ContractField[] | undefined): string =>
  fields === undefined ? '*' : [...fields].sort().join(',');

/** The loader's key of a request: fields are part of it, since rows read for fewer fields lack the rest. */
const contractDayId = (k: ContractDayKey): string =>
  `${k.index}/${k.day}/${contractKeyId(k.contract)}/${fieldsId(k.fields)}`;

export interface HistoryLoaders {
  readonly source: CsvHistory;
  readonly overviewDay: DataLoader<{ index: IndexSymbol; day: string }, readonly OverviewRecord[], string>;
  /** All contracts asked for in one operation share one scan per index and day. */
  readonly contractDay: DataLoader<ContractDayKey, ContractRecord[], string>;
  readonly closingIv30: DataLoader<{ index: IndexSymbol; day: string; openDay: string }, number | null, string>;
}

/** Rows of the contracts over several days from a reader without a multi-day query, day by day. */
async function mergeDays(
  source: CsvHistory,
  index: IndexSymbol,
  days: readonly string[],
  contracts: readonly ContractKey[],
): Promise<Map<string, ContractRecord[]>> {
  const merged = new Map<string, ContractRecord[]>();
  for (const found of await Promise.all(days.map((day) => source.contractsDay(index, day, contracts)))) {
    for (const [id, rows] of found) {
      merged.set(id, [...(merged.get(id) ?? []), ...rows]);
    }
  }
  return merged;
}

export function createHistoryLoaders(source: CsvHistory): HistoryLoaders {
  return {
    source,
    overviewDay: new DataLoader((keys) => Promise.all(keys.map((k) => source.overviewDay(k.index, k.day))), {
      cacheKeyFn: (k) => `${k.index}/${k.day}`,
    }),
    contractDay: new DataLoader(
      async (keys) => {
        // One read per index (and field list) for all the days and contracts asked for together: the
        // compacted days in one Parquet query, each CSV day in one scan.
        const groups = new Map<string, ContractDayKey[]>();
        for (const key of keys) {
          const group = `${key.index}/${fieldsId(key.fields)}`;
          const members = groups.get(group);
          if (members === undefined) {
            groups.set(group, [key]);
          } else {
            members.push(key);
          }
        }
        const results = new Map<string, ContractRecord[]>();
        await Promise.all(
          [...groups.values()].map(async (members) => {
            const { index, fields } = members[0]!;
            const days = [...new Set(members.map((m) => m.day))].sort();
            const contracts = [...new Map(members.map((m) => [contractKeyId(m.contract), m.contract])).values()];
            const found =
              'contractsDays' in source
                ? await (source as StoredHistory).contractsDays(index, days, contracts, fields)
                : await mergeDays(source, index, days, contracts);
            for (const [id, rows] of found) {
              for (const row of rows) {
                const key = `${index}/${toIstCompactDate(row.timestamp)}/${id}/${fieldsId(fields)}`;
                const list = results.get(key);
                if (list === undefined) {
                  results.set(key, [row]);
                } else {
                  list.push(row);
                }
              }
            }
          }),
        );
        return keys.map((k) => results.get(contractDayId(k)) ?? []);
      },
      { cacheKeyFn: contractDayId },
    ),
    closingIv30: new DataLoader((keys) => Promise.all(keys.map((k) => source.closingIv30(k.index, k.day, k.openDay))), {
      cacheKeyFn: (k) => `${k.index}/${k.day}/${k.openDay}`,
    }),
  };
}
