import type { IndexDay } from '../domain/snapshot.ts';
import { builder } from './builder.ts';

export const IndexDayRef = builder.objectRef<IndexDay>('IndexDay').implement({
  description:
    "The index's session so far (or the last session's, while closed) and its previous close, with the changes at the snapshot's spot.",
  fields: (t) => ({
    open: t.exposeFloat('open'),
    high: t.exposeFloat('high'),
    low: t.exposeFloat('low'),
    previousClose: t.exposeFloat('previousClose', { description: "The previous session's close." }),
    netChange: t.exposeFloat('netChange', { description: 'spot − previousClose, index points.' }),
    netChangePercent: t.exposeFloat('netChangePercent', { description: 'netChange / previousClose × 100.' }),
    changeFromOpen: t.exposeFloat('changeFromOpen', { description: 'spot − open, index points.' }),
  }),
});
