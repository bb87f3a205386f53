import { describe, expect, it } from 'vitest';
import type { Trade } from '../../ipc/types';
import { sortTrades, tradeWindow } from './trades';

const t = (entry_time: number, pnl: number, side: 'long' | 'short' = 'long'): Trade => ({
  side,
  entry_bar: 0,
  exit_bar: 1,
  entry_time,
  exit_time: entry_time + 86_400_000,
  entry_price: 1,
  exit_price: 1,
  size: 1,
  pnl,
  pnl_pct: pnl,
  bars_held: 1,
  commission: 0,
  exit_reason: 'signal',
});

describe('trades', () => {
  it('sorts by number or text, both ways', () => {
    const list = [t(3, 5), t(1, -2, 'short'), t(2, 9)];
    expect(sortTrades(list, 'pnl', 'desc').map((x) => x.pnl)).toEqual([9, 5, -2]);
    expect(sortTrades(list, 'entry_time', 'asc').map((x) => x.entry_time)).toEqual([1, 2, 3]);
    expect(sortTrades(list, 'side', 'asc')[0]!.side).toBe('long');
    expect(list.map((x) => x.entry_time)).toEqual([3, 1, 2]);
  });

  it('frames a trade with context', () => {
    const w = tradeWindow(t(100 * 86_400_000, 1));
    expect(w.from).toBeLessThan(100 * 86_400_000);
    expect(w.to).toBeGreaterThan(101 * 86_400_000);
  });
});
