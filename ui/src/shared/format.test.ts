import { describe, expect, it } from 'vitest';
import { diffTone, METRICS } from './format';

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
