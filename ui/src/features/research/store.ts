// Research: the sweep form of the open strategy, the combination count before starting, the
// running sweep or walk-forward (progress, cancel), stored sweeps (reopened offline), their
// rows and heatmap, and the last walk-forward.

import { create } from 'zustand';
import { api, toIpcError } from '../../ipc';
import type {
  Heatmap,
  IpcError,
  Progress,
  SweepPlan,
  SweepRowPage,
  SweepSummary,
  WalkForwardDetail,
} from '../../ipc/types';
import { useApp } from '../../common/app';
import { useDatasets } from '../../common/datasets';
import type { RunHost } from '../../common/runHost';
import { formFor, sweepInput, type SweepForm } from './sweep';

export const PLAN_DEBOUNCE_MS = 250;

type Job = { kind: 'sweep' | 'walkforward'; progress: Progress | null; jobId: string | null };

interface ResearchState {
  form: SweepForm | null;
  plan: SweepPlan | null;
  planError: string | null;
  job: Job | null;
  sweeps: SweepSummary[];
  current: SweepSummary | null;
  rows: SweepRowPage | null;
  sort: { metric: string; asc: boolean };
  heatmap: Heatmap | null;
  heatmapAxes: { x: string; y: string; metric: string } | null;
  heatmapError: string | null;
  wf: { train: number; test: number; anchored: boolean };
  walkForward: WalkForwardDetail | null;
  /** What the research view shows: a sweep or the last walk-forward. */
  focus: 'sweep' | 'wf';

  setFocus: (focus: 'sweep' | 'wf') => void;
  /** The form for the open strategy's parameters (kept across edits), and its count. */
  syncForm: (host: RunHost) => void;
  edit: (patch: (f: SweepForm) => SweepForm, host: RunHost) => void;
  refreshPlan: (host: RunHost) => void;
  startSweep: (host: RunHost) => Promise<SweepSummary | null>;
  runWalkForward: (host: RunHost) => Promise<WalkForwardDetail | null>;
  setWalkForward: (patch: Partial<ResearchState['wf']>) => void;
  cancel: () => Promise<void>;
  loadSweeps: (strategyId?: string) => Promise<void>;
  openSweep: (id: string) => Promise<void>;
  loadRows: (sort?: { metric: string; asc: boolean }, offset?: number) => Promise<void>;
  loadHeatmap: (axes: { x: string; y: string; metric: string }) => Promise<void>;
  deleteSweep: (id: string) => Promise<void>;
}

let planTimer: ReturnType<typeof setTimeout> | null = null;
let planSeq = 0;

function progressInto(set: (p: Partial<ResearchState>) => void, get: () => ResearchState) {
  return (p: Progress) => {
    const job = get().job;
    if (job) set({ job: { ...job, progress: p, jobId: p.jobId || job.jobId } });
  };
}

export const useResearch = create<ResearchState>()((set, get) => ({
  form: null,
  plan: null,
  planError: null,
  job: null,
  sweeps: [],
  current: null,
  rows: null,
  sort: { metric: 'sharpe', asc: false },
  heatmap: null,
  heatmapAxes: null,
  heatmapError: null,
  wf: { train: 500, test: 250, anchored: false },
  walkForward: null,
  focus: 'sweep',

  setFocus: (focus) => set({ focus }),

  syncForm: (host) => {
    const form = formFor(host.parameters, get().form ?? undefined);
    if (JSON.stringify(form) !== JSON.stringify(get().form)) set({ form });
    // Also when only the saved version changed: the count is made on it.
    get().refreshPlan(host);
  },

  edit: (patch, host) => {
    const f = get().form;
    if (!f) return;
    set({ form: patch(f) });
    get().refreshPlan(host);
  },

  refreshPlan: (host) => {
    if (planTimer) clearTimeout(planTimer);
    planTimer = setTimeout(async () => {
      const form = get().form;
      const seq = ++planSeq;
      if (!form || host.savedVersion === null) {
        set({ plan: null, planError: null });
        return;
      }
      try {
        const plan = await api.sweepPlan(host.strategyId, host.savedVersion, sweepInput(form));
        if (seq === planSeq) set({ plan, planError: null });
      } catch (e) {
        if (seq === planSeq) set({ plan: null, planError: toIpcError(e).message });
      }
    }, PLAN_DEBOUNCE_MS);
  },

  startSweep: async (host) => {
    const form = get().form;
    const datasetId = useDatasets.getState().selectedId;
    if (!form || !datasetId || get().job) return null;
    const v = await host.ensureSaved('sweep');
    if (!v) return null;
    performance.mark('sweep-start');
    set({ job: { kind: 'sweep', progress: null, jobId: null } });
    try {
      const sweep = await api.sweepStart(
        { strategyId: v.strategyId, version: v.version, datasetId, spec: sweepInput(form) },
        progressInto(set, get),
      );
      performance.mark('sweep-done');
      useApp
        .getState()
        .notify(
          sweep.status === 'cancelled'
            ? `Sweep cancelled: ${sweep.rows} of ${sweep.total} combinations kept`
            : `Sweep finished: ${sweep.rows} combinations`,
        );
      await get().openSweep(sweep.id);
      void get().loadSweeps(v.strategyId);
      return sweep;
    } catch (e) {
      const err = e as IpcError;
      if (err.code === 'cancelled') useApp.getState().notify('Sweep cancelled');
      else useApp.getState().fail(e);
      return null;
    } finally {
      set({ job: null });
    }
  },

  runWalkForward: async (host) => {
    const form = get().form;
    const datasetId = useDatasets.getState().selectedId;
    if (!form || !datasetId || get().job) return null;
    const v = await host.ensureSaved('walk forward');
    if (!v) return null;
    set({ job: { kind: 'walkforward', progress: null, jobId: null } });
    try {
      const { train, test, anchored } = get().wf;
      const r = await api.walkForward(
        {
          strategyId: v.strategyId,
          version: v.version,
          datasetId,
          spec: sweepInput(form),
          train,
          test,
          anchored,
        },
        progressInto(set, get),
      );
      set({ walkForward: r, focus: 'wf' });
      useApp.getState().notify(`Walk-forward finished: ${r.windows.length} windows`);
      return r;
    } catch (e) {
      const err = e as IpcError;
      if (err.code === 'cancelled') useApp.getState().notify('Walk-forward cancelled');
      else useApp.getState().fail(e);
      return null;
    } finally {
      set({ job: null });
    }
  },

  setWalkForward: (patch) => set({ wf: { ...get().wf, ...patch } }),

  cancel: async () => {
    const jobId = get().job?.jobId;
    if (!jobId) return;
    try {
      await api.jobCancel(jobId);
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  loadSweeps: async (strategyId) => {
    try {
      set({ sweeps: await api.sweepsList(strategyId) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  openSweep: async (id) => {
    try {
      const current = await api.sweepGet(id);
      const names = current.axes.map((a) => a.name);
      set({
        current,
        focus: 'sweep',
        rows: null,
        heatmap: null,
        heatmapError: null,
        sort: { metric: current.metric, asc: false },
      });
      await get().loadRows({ metric: current.metric, asc: false });
      if (names.length >= 2) {
        await get().loadHeatmap({ x: names[0]!, y: names[1]!, metric: current.metric });
      } else {
        set({ heatmapAxes: null });
      }
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  loadRows: async (sort, offset = 0) => {
    const cur = get().current;
    if (!cur) return;
    const s = sort ?? get().sort;
    try {
      const page = await api.sweepRows({
        sweepId: cur.id,
        sort: s.metric,
        asc: s.asc,
        offset,
        limit: 200,
      });
      const old = get().rows;
      set({
        sort: s,
        rows: offset > 0 && old ? { ...page, rows: [...old.rows, ...page.rows] } : page,
      });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  loadHeatmap: async (axes) => {
    const cur = get().current;
    if (!cur) return;
    set({ heatmapAxes: axes });
    try {
      const heatmap = await api.sweepHeatmap({ sweepId: cur.id, ...axes, width: 760, height: 460 });
      if (get().current?.id === cur.id) set({ heatmap, heatmapError: null });
    } catch (e) {
      set({ heatmap: null, heatmapError: toIpcError(e).message });
    }
  },

  deleteSweep: async (id) => {
    try {
      await api.sweepDelete(id);
      set({
        sweeps: get().sweeps.filter((s) => s.id !== id),
        ...(get().current?.id === id ? { current: null, rows: null, heatmap: null } : {}),
      });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
}));
