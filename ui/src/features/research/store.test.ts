import { beforeEach, describe, expect, it, vi } from 'vitest';

const backend = vi.hoisted(() => ({
  started: [] as unknown[],
  plans: [] as unknown[],
  cancelled: [] as string[],
  fail: null as unknown,
}));

vi.mock('../../ipc', () => ({
  toIpcError: (e: unknown) => e,
  api: {
    sweepPlan: async (strategyId: string, version: number, spec: unknown) => {
      backend.plans.push({ strategyId, version, spec });
      return { combinations: 12, grid: 16, axes: [] };
    },
    sweepStart: async (args: unknown, onProgress: (p: unknown) => void) => {
      backend.started.push(args);
      onProgress({ jobId: 'sweep-1', done: 0, total: 12, stage: 'queued' });
      if (backend.fail) throw backend.fail;
      return { id: 'sw1', status: 'completed', rows: 12, total: 12, axes: [], metric: 'sharpe' };
    },
    sweepGet: async () => ({ id: 'sw1', axes: [], metric: 'sharpe' }),
    sweepRows: async () => ({ total: 12, offset: 0, rows: [] }),
    sweepsList: async () => [],
    jobCancel: async (id: string) => {
      backend.cancelled.push(id);
      return true;
    },
  },
}));

const { useResearch, PLAN_DEBOUNCE_MS } = await import('./store');
const { useDatasets } = await import('../../common/datasets');
const { useApp } = await import('../../common/app');

const params = [
  { name: 'fast', type: 'int' as const, default: 10, min: 2, max: 200 },
  { name: 'slow', type: 'int' as const, default: 30, min: 2, max: 400 },
];

function host(saved: { version: number } | null, savedVersion: number | null = 1) {
  return {
    strategyId: 's1',
    parameters: params,
    unsaved: false,
    savedVersion,
    readOnly: false,
    ensureSaved: vi.fn(async () => (saved ? { strategyId: 's1', version: saved.version } : null)),
  };
}

beforeEach(() => {
  backend.started = [];
  backend.plans = [];
  backend.cancelled = [];
  backend.fail = null;
  useDatasets.setState({ selectedId: 'd1' });
  useResearch.setState({ form: null, plan: null, planError: null, job: null });
  vi.useRealTimers();
});

describe('research store', () => {
  it('counts combinations on the saved version, and not without one', async () => {
    vi.useFakeTimers();
    useResearch.getState().syncForm(host(null, 3));
    await vi.advanceTimersByTimeAsync(PLAN_DEBOUNCE_MS + 10);
    expect(backend.plans).toHaveLength(1);
    expect(backend.plans[0]).toMatchObject({ version: 3, spec: { metric: 'sharpe' } });
    expect(useResearch.getState().plan?.combinations).toBe(12);
    useResearch.getState().syncForm(host(null, null));
    await vi.advanceTimersByTimeAsync(PLAN_DEBOUNCE_MS + 10);
    expect(backend.plans).toHaveLength(1);
    expect(useResearch.getState().plan).toBeNull();
  });

  it('starts nothing when the save is refused', async () => {
    const h = host(null);
    useResearch.getState().syncForm(h);
    expect(await useResearch.getState().startSweep(h)).toBeNull();
    expect(h.ensureSaved).toHaveBeenCalledWith('sweep');
    expect(backend.started).toEqual([]);
  });

  it('sweeps the saved version on the chosen dataset and follows the job', async () => {
    const h = host({ version: 4 });
    useResearch.getState().syncForm(h);
    const done = await useResearch.getState().startSweep(h);
    expect(done?.id).toBe('sw1');
    expect(backend.started[0]).toMatchObject({
      strategyId: 's1',
      version: 4,
      datasetId: 'd1',
      spec: { axes: [{ name: 'fast' }, { name: 'slow' }], metric: 'sharpe' },
    });
    expect(useResearch.getState().job).toBeNull();
    expect(useResearch.getState().current?.id).toBe('sw1');
  });

  it('a cancelled sweep says so and is not an error', async () => {
    backend.fail = { code: 'cancelled', message: 'The sweep was cancelled' };
    const h = host({ version: 1 });
    useResearch.getState().syncForm(h);
    expect(await useResearch.getState().startSweep(h)).toBeNull();
    expect(useApp.getState().notice).toMatchObject({ kind: 'info', text: 'Sweep cancelled' });
  });
});
