// The Review view is offered to reviewers and administrators only (the server decides in
// any case).

import { describe, expect, it } from 'vitest';
import { mayReview } from './app';

describe('mayReview', () => {
  it('offers the review queue to reviewers and administrators', () => {
    expect(mayReview(['trader', 'reviewer'])).toBe(true);
    expect(mayReview(['admin'])).toBe(true);
    expect(mayReview(['trader', 'educator'])).toBe(false);
    expect(mayReview([])).toBe(false);
  });
});
