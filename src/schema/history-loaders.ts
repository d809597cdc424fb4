import DataLoader from 'dataloader';
import type { IndexSymbol } from '../domain/indices.ts';
import {
  type ContractKey,
  type ContractRecord,
  type CsvHistory,
  contractKeyId,
  type OverviewRecord,
} from '../history/csv-history.ts';

export interface ContractDayKey {
  readonly index: IndexSymbol;
  readonly day: string;
  readonly contract: ContractKey;
}

export interface HistoryLoaders {
  readonly source: CsvHistory;
  readonly overviewDay: DataLoader<{ index: IndexSymbol; day: string }, readonly OverviewRecord[], string>;
  /** All contracts asked for in one operation share one scan per index and day. */
  readonly contractDay: DataLoader<ContractDayKey, ContractRecord[], string>;
  readonly closingIv30: DataLoader<{ index: IndexSymbol; day: string; openDay: string }, number | null, string>;
}

export function createHistoryLoaders(source: CsvHistory): HistoryLoaders {
  return {
    source,
    overviewDay: new DataLoader((keys) => Promise.all(keys.map((k) => source.overviewDay(k.index, k.day))), {
      cacheKeyFn: (k) => `${k.index}/${k.day}`,
    }),
    contractDay: new DataLoader(
      async (keys) => {
        const groups = new Map<string, ContractDayKey[]>();
        for (const key of keys) {
          const group = `${key.index}/${key.day}`;
          const members = groups.get(group);
          if (members === undefined) {
            groups.set(group, [key]);
          } else {
            members.push(key);
          }
        }
        const results = new Map<string, Map<string, ContractRecord[]>>();
        await Promise.all(
          [...groups].map(async ([group, members]) => {
            const { index, day } = members[0]!;
            results.set(
              group,
              await source.contractsDay(
                index,
                day,
                members.map((m) => m.contract),
              ),
            );
          }),
        );
        return keys.map((k) => results.get(`${k.index}/${k.day}`)?.get(contractKeyId(k.contract)) ?? []);
      },
      { cacheKeyFn: (k) => `${k.index}/${k.day}/${contractKeyId(k.contract)}` },
    ),
    closingIv30: new DataLoader((keys) => Promise.all(keys.map((k) => source.closingIv30(k.index, k.day, k.openDay))), {
      cacheKeyFn: (k) => `${k.index}/${k.day}/${k.openDay}`,
    }),
  };
}
