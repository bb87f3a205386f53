/**
 * The Paper view's state: the runs, the one shown, and the form that starts a run. Runs are
 * driven by the backend whichever view is open; this store only reads and commands them.
 */

import { create } from 'zustand';
import { api } from '../../ipc';
import type {
  PaperRunDetail,
  PaperRunSummary,
  PaperStartInput,
  StrategySummary,
  VersionSummary,
} from '../../ipc/types';
import { useApp } from '../../common/app';

/** What the start form holds (numbers as typed, checked by the backend). */
export interface StartForm {
  strategyId: string;
  versionId: string;
  feed: 'replay' | 'binance' | 'kraken';
  datasetId: string;
  speed: number;
  symbol: string;
  interval: string;
  cash: string;
  commission: string;
  slippageBps: string;
  window: string;
  catchUp: 'trade' | 'trade_and_flag' | 'pause';
  entry: boolean;
  exit: boolean;
  stop: boolean;
  drawdownPct: string;
}

export const emptyForm: StartForm = {
  strategyId: '',
  versionId: '',
  feed: 'replay',
  datasetId: '',
  speed: 60,
  symbol: '',
  interval: '1m',
  cash: '',
  commission: '',
  slippageBps: '',
  window: '',
  catchUp: 'trade',
  entry: true,
  exit: true,
  stop: true,
  drawdownPct: '',
};

const num = (s: string): number | undefined => {
  const t = s.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
};

/** The first field that is not a number where one is needed, as a message; else null. */
export function formProblem(f: StartForm): string | null {
  const fields: [string, string][] = [
    ['Cash', f.cash],
    ['Commission', f.commission],
    ['Slippage', f.slippageBps],
    ['Drawdown alert', f.drawdownPct],
  ];
  for (const [name, value] of fields) {
    if (Number.isNaN(num(value))) return `${name}: "${value}" is not a number`;
  }
  if (!(f.speed > 0)) return 'Speed must be a positive number';
  return null;
}

/** The backend request for a form. */
export function startInput(f: StartForm): PaperStartInput {
  return {
    versionId: f.versionId,
    parameters: {},
    feed: f.feed,
    datasetId: f.feed === 'replay' ? f.datasetId : undefined,
    speed: f.speed,
    symbol: f.feed === 'replay' ? undefined : f.symbol,
    interval: f.feed === 'replay' ? undefined : f.interval,
    initialCash: num(f.cash),
    commission: num(f.commission),
    slippageBps: num(f.slippageBps),
    scheduleCron: f.window.trim() === '' ? undefined : f.window.trim(),
    catchUp: f.catchUp,
    alerts: {
      entry: f.entry,
      exit: f.exit,
      stop: f.stop,
      error: true,
      stopped: true,
      drawdownPct: num(f.drawdownPct),
    },
  };
}

interface PaperState {
  runs: PaperRunSummary[];
  selectedId: string | null;
  detail: PaperRunDetail | null;
  reconciliation: unknown;
  strategies: StrategySummary[];
  versions: VersionSummary[];
  form: StartForm;
  refresh: () => Promise<void>;
  select: (id: string | null) => Promise<void>;
  loadChoices: () => Promise<void>;
  setForm: (patch: Partial<StartForm>) => Promise<void>;
  start: () => Promise<void>;
  setStatus: (status: string, decision?: string) => Promise<void>;
  reconcile: () => Promise<void>;
}

export const usePaper = create<PaperState>()((set, get) => ({
  runs: [],
  selectedId: null,
  detail: null,
  reconciliation: null,
  strategies: [],
  versions: [],
  form: emptyForm,
  refresh: async () => {
    try {
      const runs = await api.paperList();
      const id = get().selectedId ?? runs[0]?.id ?? null;
      set({ runs, selectedId: id });
      if (id) set({ detail: await api.paperGet(id) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  select: async (id) => {
    set({ selectedId: id, detail: null, reconciliation: null });
    if (id) {
      try {
        set({ detail: await api.paperGet(id) });
      } catch (e) {
        useApp.getState().fail(e);
      }
    }
  },
  loadChoices: async () => {
    try {
      const strategies = (await api.strategiesList({})).filter((s) => s.latestVersion !== null);
      set({ strategies });
      const first = strategies[0];
      if (!get().form.strategyId && first) await get().setForm({ strategyId: first.strategy.id });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  setForm: async (patch) => {
    const form = { ...get().form, ...patch };
    set({ form });
    if (patch.strategyId !== undefined && patch.strategyId) {
      try {
        const versions = await api.versionsList(patch.strategyId);
        set({ versions, form: { ...get().form, versionId: versions[0]?.id ?? '' } });
      } catch (e) {
        useApp.getState().fail(e);
      }
    }
  },
  start: async () => {
    const problem = formProblem(get().form);
    if (problem) {
      useApp.getState().notify(problem, 'error');
      return;
    }
    try {
      const run = await api.paperStart(startInput(get().form));
      useApp.getState().notify(`Paper run started: ${run.name}`);
      set({ selectedId: run.id });
      await get().refresh();
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  setStatus: async (status, decision) => {
    const id = get().selectedId;
    if (!id) return;
    try {
      await api.paperSetStatus(id, status, decision);
      await get().refresh();
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  reconcile: async () => {
    const id = get().selectedId;
    if (!id) return;
    try {
      set({ reconciliation: await api.paperReconcile(id) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
}));
