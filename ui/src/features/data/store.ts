// Datasets: list, rename, delete, and CSV import (file dialog, preview, progress).

import { create } from 'zustand';
import { api, dialogs } from '../../ipc';
import type { DatasetPreview, Progress } from '../../ipc/types';
import { pickPath, useApp } from '../../common/app';
import { useDatasets } from '../../common/datasets';

export interface ImportDraft {
  path: string;
  preview: DatasetPreview;
  name: string;
  symbol: string;
  timeframe: string;
}

interface DataState {
  pending: ImportDraft | null;
  importing: boolean;
  progress: Progress | null;
  pickFile: () => Promise<void>;
  updatePending: (patch: Partial<Omit<ImportDraft, 'path' | 'preview'>>) => void;
  cancelPending: () => void;
  runImport: () => Promise<void>;
  rename: (id: string, name: string) => Promise<void>;
  remove: (id: string, name: string) => Promise<void>;
}

/** A guess of name and symbol from a file path (`/x/BTCUSD_1d.csv` → `BTCUSD_1d`, `BTCUSD`). */
export function guessFromPath(path: string): { name: string; symbol: string; timeframe: string } {
  const file = path.split(/[\\/]/).pop() ?? path;
  const name = file.replace(/\.[^.]+$/, '');
  const tf = /(?:^|[_\-. ])(1m|5m|15m|30m|1h|4h|1d|d|daily|1w|weekly)(?:$|[_\-. ])/i
    .exec(name)?.[1]
    ?.toLowerCase();
  const symbol = (name.split(/[_\-. ]/)[0] ?? name).toUpperCase();
  const timeframe = tf === 'daily' || tf === 'd' ? '1d' : tf === 'weekly' ? '1w' : (tf ?? '1d');
  return { name, symbol, timeframe };
}

export const useData = create<DataState>()((set, get) => ({
  pending: null,
  importing: false,
  progress: null,
  pickFile: async () => {
    const path = await pickPath(() =>
      dialogs.openFile('Import market data (CSV, Parquet, Arrow)', [
        'csv',
        'txt',
        'parquet',
        'arrow',
        'feather',
      ]),
    );
    if (!path) return;
    try {
      const preview = await api.datasetPreview(path);
      const guess = guessFromPath(path);
      set({ pending: { path, preview, ...guess, name: preview.suggestedName || guess.name } });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  updatePending: (patch) => {
    const p = get().pending;
    if (p) set({ pending: { ...p, ...patch } });
  },
  cancelPending: () => set({ pending: null }),
  runImport: async () => {
    const p = get().pending;
    if (!p) return;
    set({ importing: true, progress: { jobId: '', done: 0, total: 1, stage: 'reading' } });
    try {
      const ds = await api.datasetImport(
        { path: p.path, name: p.name, symbol: p.symbol, timeframe: p.timeframe },
        (progress) => set({ progress }),
      );
      useApp.getState().notify(`Imported ${ds.name}: ${ds.bars} bars`);
      set({ pending: null });
      await useDatasets.getState().refresh();
    } catch (e) {
      useApp.getState().fail(e);
    } finally {
      set({ importing: false, progress: null });
    }
  },
  rename: async (id, name) => {
    try {
      await api.datasetRename(id, name);
      await useDatasets.getState().refresh();
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  remove: async (id, name) => {
    if (!(await dialogs.confirm(`Delete dataset “${name}”? Runs made on it keep their results.`)))
      return;
    try {
      await api.datasetDelete(id);
      await useDatasets.getState().refresh();
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
}));
