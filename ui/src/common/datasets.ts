/**
 * The datasets every feature sees: the stored list and the one chosen to run on. The Data
 * view imports and deletes through the backend and then refreshes this list; run, sweep and
 * other panels read it and share the choice.
 */

import { create } from 'zustand';
import { api } from '../ipc';
import type { Dataset } from '../ipc/types';
import { useApp } from './app';

interface DatasetsState {
  list: Dataset[];
  /** The dataset runs and sweeps use (kept when it still exists after a refresh). */
  selectedId: string | null;
  refresh: () => Promise<void>;
  select: (id: string) => void;
}

export const useDatasets = create<DatasetsState>()((set, get) => ({
  list: [],
  selectedId: null,
  refresh: async () => {
    try {
      const list = await api.datasetsList();
      const keep = list.some((d) => d.id === get().selectedId);
      set({ list, selectedId: keep ? get().selectedId : (list[0]?.id ?? null) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  select: (selectedId) => set({ selectedId }),
}));
