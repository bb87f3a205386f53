import { describe, expect, it } from 'vitest';
import { guessFromPath } from './store';

describe('guessFromPath', () => {
  it('takes name, symbol and timeframe from a file name', () => {
    expect(guessFromPath('/data/btcusd_1h.csv')).toEqual({
      name: 'btcusd_1h',
      symbol: 'BTCUSD',
      timeframe: '1h',
    });
    expect(guessFromPath('C:\\x\\SPY-daily.csv')).toEqual({
      name: 'SPY-daily',
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(guessFromPath('prices.csv').timeframe).toBe('1d');
  });
});
