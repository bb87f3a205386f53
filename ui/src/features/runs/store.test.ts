import { beforeEach, describe, expect, it, vi } from 'vitest';

const backend = vi.hoisted(() => ({ error: null as unknown, progress: [] as unknown[] }));

vi.mock('../../ipc', () => ({
  api: {
    runBacktest: async (_a: unknown, onProgress: (p: unknown) => void) => {
      onProgress({ jobId: 'j1', done: 1, total: 2, stage: 'backtest' });
      if (backend.error) throw backend.error;
      return { id: 'r1', version: 2, metrics: { total_return_pct: 5 }, trades: [] };
    },
    runsList: async () => [],
    profileGet: async () => ({
      user: {},
      plan: null,
      usage: [
        { metric: 'backtests_per_day', used: 50, limit: 50, resetsAt: '2030-01-01T00:00:00Z' },
      ],
    }),
    jobCancel: async () => true,
  },
  dialogs: {},
}));

const { useRuns } = await import('./store');
const { useDatasets } = await import('../../shared/datasets');

beforeEach(() => {
  backend.error = null;
  useDatasets.setState({ selectedId: 'd1' });
  useRuns.setState({ running: false, current: null, quota: null });
});

describe('runs store', () => {
  it('runs, follows progress and keeps the result', async () => {
    const r = await useRuns.getState().run('s1', 2);
    expect(r?.id).toBe('r1');
    expect(useRuns.getState().current?.id).toBe('r1');
    expect(useRuns.getState().running).toBe(false);
    expect(useRuns.getState().progress).toMatchObject({ done: 1, total: 2 });
  });

  it('turns a quota error into a notice with limit and reset time', async () => {
    backend.error = {
      code: 'quota_exceeded',
      message: 'backtests_per_day: 50 of 50 used',
      limit: 50,
      resetsAt: '2030-01-01T00:00:00Z',
    };
    expect(await useRuns.getState().run('s1', 2)).toBeNull();
    expect(useRuns.getState().quota).toEqual({
      message: 'backtests_per_day: 50 of 50 used',
      limit: 50,
      resetsAt: '2030-01-01T00:00:00Z',
    });
  });

  it('falls back to the profile usage when the error has no limit', async () => {
    backend.error = { code: 'quota_exceeded', message: 'quota reached' };
    await useRuns.getState().run('s1', 2);
    expect(useRuns.getState().quota).toMatchObject({
      limit: 50,
      used: 50,
      metric: 'backtests_per_day',
      resetsAt: '2030-01-01T00:00:00Z',
    });
  });
});
