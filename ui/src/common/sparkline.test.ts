// Sparkline points: scaled into the box, the highest value at the top, flat series centred,
// too few or non-finite points left out.

import { describe, expect, it } from 'vitest';
import { sparkline } from './sparkline';

describe('sparkline', () => {
  it('scales time across and value upwards', () => {
    expect(
      sparkline(
        [
          [0, 100],
          [5, 150],
          [10, 200],
        ],
        100,
        50,
      ),
    ).toBe('0.0,50.0 50.0,25.0 100.0,0.0');
  });

  it('centres a flat series and refuses fewer than two points', () => {
    expect(
      sparkline(
        [
          [0, 1],
          [1, 1],
        ],
        10,
        10,
      ),
    ).toBe('0.0,5.0 10.0,5.0');
    expect(sparkline([[0, 1]], 10, 10)).toBeNull();
    expect(
      sparkline(
        [
          [0, Number.NaN],
          [1, 2],
        ],
        10,
        10,
      ),
    ).toBeNull();
  });
});
