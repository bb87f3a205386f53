// The Paper view's form → backend request: empty fields fall back to the version's settings,
// a replay sends its dataset and speed, an exchange feed its symbol and interval.

import { describe, expect, it } from 'vitest';
import { emptyForm, formProblem, startInput } from './store';

describe('startInput', () => {
  it('sends a replay with its dataset and leaves empty costs to the version', () => {
    const r = startInput({ ...emptyForm, versionId: 'v1', datasetId: 'd1', speed: 600 });
    expect(r.feed).toBe('replay');
    expect(r.datasetId).toBe('d1');
    expect(r.speed).toBe(600);
    expect(r.symbol).toBeUndefined();
    expect(r.initialCash).toBeUndefined();
    expect(r.commission).toBeUndefined();
    expect(r.scheduleCron).toBeUndefined();
    expect(r.alerts).toMatchObject({ entry: true, exit: true, stop: true, error: true });
  });

  it('sends an exchange feed with symbol, interval, costs, window and policy', () => {
    const r = startInput({
      ...emptyForm,
      versionId: 'v1',
      feed: 'binance',
      symbol: 'BTCUSDT',
      interval: '1h',
      cash: '2500',
      commission: '0.001',
      window: ' * 14-20 * * 1-5 ',
      catchUp: 'pause',
      drawdownPct: '12.5',
    });
    expect(r.datasetId).toBeUndefined();
    expect(r).toMatchObject({ symbol: 'BTCUSDT', interval: '1h', initialCash: 2500 });
    expect(r.commission).toBe(0.001);
    expect(r.scheduleCron).toBe('* 14-20 * * 1-5');
    expect(r.catchUp).toBe('pause');
    expect(r.alerts.drawdownPct).toBe(12.5);
  });

  it('names a field that is not a number before anything is sent', () => {
    expect(formProblem({ ...emptyForm, cash: 'lots' })).toBe('Cash: "lots" is not a number');
    expect(formProblem({ ...emptyForm, speed: 0 })).toMatch(/Speed/);
    expect(formProblem({ ...emptyForm, cash: ' 100 ' })).toBeNull();
  });
});
