import { describe, expect, it } from 'vitest';
import type { ClusterSweepItem } from '../../ipc/types';
import { progressText } from './ClusterPanel';

const item = (over: Partial<ClusterSweepItem>): ClusterSweepItem => ({
  id: '0190a3c4-1d2e-7f00-8000-000000000016',
  shards: 4,
  shardsDone: 1,
  total: 1000,
  rowsIn: 250,
  complete: false,
  metric: 'sharpe',
  createdAt: '2026-12-06T11:00:00Z',
  strategyTitle: 'SMA crossover',
  version: 1,
  localSweepId: null,
  launchedHere: true,
  ...over,
});

describe('cluster sweep progress', () => {
  it('counts shards done and rows in until complete', () => {
    expect(progressText(item({}))).toBe('1 of 4 shards · 250 of 1,000 rows');
    expect(progressText(item({ shardsDone: 4, rowsIn: 1000, complete: true }))).toBe(
      'complete · 1,000 rows',
    );
  });
});
