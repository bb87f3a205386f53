import { describe, expect, it } from 'vitest';
import { diffTone, fmtBarTime, fmtCosts, METRICS } from './format';

const def = (key: string) => METRICS.find((m) => m.key === key)!;

describe('comparing two runs', () => {
  it('colours a better value green whatever its sign', () => {
    // Max drawdown −20% → −5%: B − A = +15, better.
    expect(diffTone(def('max_drawdown_pct'), 15)).toBe('pos');
    expect(diffTone(def('max_drawdown_pct'), -15)).toBe('neg');
    expect(diffTone(def('sharpe'), -0.4)).toBe('neg');
    expect(diffTone(def('worst_trade_pct'), 2)).toBe('pos');
    expect(diffTone(def('volatility_ann_pct'), 3)).toBe('neg');
    expect(diffTone(def('commissions'), -3)).toBe('pos');
  });
  it('leaves neutral metrics and no change uncoloured', () => {
    expect(diffTone(def('trades'), 10)).toBe('');
    expect(diffTone(def('sharpe'), 0)).toBe('');
    expect(diffTone(def('sharpe'), null)).toBe('');
  });
});

describe('run identity', () => {
  it('says what a run was charged', () => {
    expect(fmtCosts({ commission: 0.001, slippageBps: 5 })).toBe(
      'commission 0.1% · slippage 5 bps',
    );
    expect(fmtCosts({ commission: 0.0005, slippageBps: 0 })).toBe(
      'commission 0.05% · slippage 0 bps',
    );
    expect(fmtCosts({ commission: 0, slippageBps: 0 })).toBe('no costs');
    expect(fmtCosts(null)).toBe('costs unknown');
  });

  it('shows daily bars as dates and intraday bars with the time', () => {
    expect(fmtBarTime(Date.UTC(2023, 4, 17))).toBe('2023-05-17');
    expect(fmtBarTime(Date.UTC(2023, 4, 17, 4))).toBe('2023-05-17 04:00 UTC');
  });
});
