// Sorting trades and the price-chart window that frames one trade.

import type { Trade } from '../../ipc/types';

export type TradeKey = keyof Trade;

export function sortTrades(trades: readonly Trade[], key: TradeKey, dir: 'asc' | 'desc'): Trade[] {
  const s = dir === 'asc' ? 1 : -1;
  return [...trades].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * s;
    return String(x).localeCompare(String(y)) * s;
  });
}

const DAY = 86_400_000;

/** A date range around a trade with some context on both sides. */
export function tradeWindow(t: Trade): { from: number; to: number } {
  const span = Math.max(t.exit_time - t.entry_time, DAY);
  const pad = Math.max(span, 10 * DAY);
  return { from: t.entry_time - pad, to: t.exit_time + pad };
}
