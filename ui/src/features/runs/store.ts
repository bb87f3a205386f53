// Backtest runs: the running job (progress, cancel), the latest result,
// run history and two-run comparison. Local runs are never metered.

import { create } from 'zustand';
import { api } from '../../ipc';
import { useApp } from '../../common/app';
import { useDatasets } from '../../common/datasets';
import type { IpcError, Progress, RunCompare, RunDetail, RunSummary } from '../../ipc/types';

interface RunsState {
  paramValues: Record<string, number>;
  running: boolean;
  progress: Progress | null;
  jobId: string | null;
  current: RunDetail | null;
  history: RunSummary[];
  compare: { a: string; b: string; data: RunCompare } | null;
  error: string | null;

  setParamValue: (name: string, v: number) => void;
  resetParamValues: (values: Record<string, number>) => void;
  run: (strategyId: string, version: number) => Promise<RunDetail | null>;
  cancel: () => Promise<void>;
  loadHistory: (strategyId?: string) => Promise<void>;
  openRun: (runId: string) => Promise<void>;
  deleteRun: (runId: string) => Promise<void>;
  compareRuns: (a: string, b: string) => Promise<void>;
}

export const useRuns = create<RunsState>()((set, get) => ({
  paramValues: {},
  running: false,
  progress: null,
  jobId: null,
  current: null,
  history: [],
  compare: null,
  error: null,

  setParamValue: (name, v) => set({ paramValues: { ...get().paramValues, [name]: v } }),
  resetParamValues: (paramValues) => set({ paramValues }),

  run: async (strategyId, version) => {
    const { paramValues } = get();
    const datasetId = useDatasets.getState().selectedId;
    if (!datasetId || get().running) return null;
    performance.mark('run-start'); // for the end-to-end timings
    set({
      running: true,
      progress: { jobId: '', done: 0, total: 1, stage: 'starting' },
      jobId: null,
      error: null,
    });
    try {
      const detail = await api.runBacktest(
        { strategyId, version, datasetId, params: paramValues },
        (p) => set({ progress: p, ...(p.jobId ? { jobId: p.jobId } : {}) }),
      );
      set({ current: detail });
      void get().loadHistory(strategyId);
      return detail;
    } catch (e) {
      const err = e as IpcError;
      if (err.code === 'cancelled') useApp.getState().notify('Run cancelled');
      else {
        set({ error: err.message });
        useApp.getState().fail(e);
      }
      return null;
    } finally {
      set({ running: false, jobId: null });
    }
  },

  cancel: async () => {
    const { jobId } = get();
    if (!jobId) return;
    set({ progress: get().progress && { ...get().progress!, stage: 'cancelling' } });
    try {
      await api.jobCancel(jobId);
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  loadHistory: async (strategyId) => {
    try {
      set({ history: await api.runsList(strategyId) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  openRun: async (runId) => {
    try {
      set({ current: await api.runGet(runId) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  deleteRun: async (runId) => {
    try {
      await api.runDelete(runId);
      set({
        history: get().history.filter((r) => r.id !== runId),
        current: get().current?.id === runId ? null : get().current,
      });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  compareRuns: async (x, y) => {
    // The older run is A: B − A reads as "what changed since".
    const when = (id: string) => get().history.find((r) => r.id === id)?.createdAt ?? '';
    const [a, b] = when(x) <= when(y) ? [x, y] : [y, x];
    try {
      set({ compare: { a, b, data: await api.runCompare(a, b) } });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
}));
