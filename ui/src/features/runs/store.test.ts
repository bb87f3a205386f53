// The runs store: a run follows progress, keeps its result and reports backend errors.

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
    jobCancel: async () => true,
  },
  dialogs: {},
}));

const { useRuns } = await import('./store');
const { useDatasets } = await import('../../common/datasets');

beforeEach(() => {
  backend.error = null;
  useDatasets.setState({ selectedId: 'd1' });
  useRuns.setState({ running: false, current: null, error: null });
});

describe('runs store', () => {
  it('runs, follows progress and keeps the result', async () => {
    const r = await useRuns.getState().run('s1', 2);
    expect(r?.id).toBe('r1');
    expect(useRuns.getState().current?.id).toBe('r1');
    expect(useRuns.getState().running).toBe(false);
    expect(useRuns.getState().progress).toMatchObject({ done: 1, total: 2 });
  });

  it('shows an error the backend reports and keeps no result', async () => {
    backend.error = { code: 'storage', message: 'disk full' };
    expect(await useRuns.getState().run('s1', 2)).toBeNull();
    expect(useRuns.getState().error).toBe('disk full');
    expect(useRuns.getState().running).toBe(false);
  });
});
