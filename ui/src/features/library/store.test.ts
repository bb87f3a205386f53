import { describe, expect, it } from 'vitest';
import { parseTags } from './store';

describe('parseTags', () => {
  it('splits, trims and de-duplicates', () => {
    expect(parseTags(' trend, sma ,, trend,daily ')).toEqual(['trend', 'sma', 'daily']);
    expect(parseTags('')).toEqual([]);
  });
});
