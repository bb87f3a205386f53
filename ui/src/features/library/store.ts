// The strategy library: the filtered list and every action on a strategy.

import { create } from 'zustand';
import { pickPath, useApp } from '../../common/app';
import { api, dialogs } from '../../ipc';
import type { Strategy, StrategyStatus, StrategySummary, Visibility } from '../../ipc/types';

export interface LibraryFilter {
  search: string;
  tag: string;
  status: StrategyStatus | '';
}

interface LibraryState {
  items: StrategySummary[];
  examples: { name: string; title: string }[];
  filter: LibraryFilter;
  loading: boolean;
  setFilter: (patch: Partial<LibraryFilter>) => void;
  refresh: () => Promise<void>;
  loadExamples: () => Promise<void>;
  create: (title: string, example?: string) => Promise<Strategy | null>;
  duplicate: (id: string) => Promise<void>;
  rename: (id: string, title: string) => Promise<void>;
  setTags: (id: string, tags: string[]) => Promise<void>;
  setStatus: (id: string, status: StrategyStatus) => Promise<void>;
  setVisibility: (id: string, v: Visibility) => Promise<void>;
  remove: (id: string, title: string) => Promise<boolean>;
  importFile: () => Promise<void>;
  exportFile: (id: string, slug: string) => Promise<void>;
}

/** Tags as typed in a box: comma separated, trimmed, unique, no empties. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

let searchTimer: ReturnType<typeof setTimeout> | null = null;

export const useLibrary = create<LibraryState>()((set, get) => {
  async function act(fn: () => Promise<unknown>, done?: string) {
    try {
      await fn();
      if (done) useApp.getState().notify(done);
      await get().refresh();
    } catch (e) {
      useApp.getState().fail(e);
    }
  }
  return {
    items: [],
    examples: [],
    filter: { search: '', tag: '', status: '' },
    loading: false,
    setFilter: (patch) => {
      set({ filter: { ...get().filter, ...patch } });
      // Typing in the search box refreshes once the user pauses.
      if (searchTimer) clearTimeout(searchTimer);
      searchTimer = setTimeout(() => void get().refresh(), 'search' in patch ? 200 : 0);
    },
    refresh: async () => {
      const f = get().filter;
      set({ loading: true });
      try {
        const items = await api.strategiesList({
          ...(f.search ? { search: f.search } : {}),
          ...(f.tag ? { tag: f.tag } : {}),
          ...(f.status ? { status: f.status } : {}),
        });
        set({ items });
      } catch (e) {
        useApp.getState().fail(e);
      } finally {
        set({ loading: false });
      }
    },
    loadExamples: async () => {
      try {
        set({ examples: await api.examplesList() });
      } catch {
        set({ examples: [] });
      }
    },
    create: async (title, example) => {
      try {
        const r = await api.strategyCreate(title, example);
        await get().refresh();
        return r.strategy;
      } catch (e) {
        useApp.getState().fail(e);
        return null;
      }
    },
    duplicate: (id) => act(() => api.strategyDuplicate(id), 'Duplicated'),
    rename: (id, title) => act(() => api.strategyRename(id, title)),
    setTags: (id, tags) => act(() => api.strategySetTags(id, tags)),
    setStatus: (id, status) =>
      act(() => api.strategySetStatus(id, status), status === 'archived' ? 'Archived' : undefined),
    setVisibility: (id, v) => act(() => api.strategySetVisibility(id, v)),
    remove: async (id, title) => {
      if (
        !(await dialogs.confirm(
          `Delete “${title}” with all its versions and runs? This cannot be undone.`,
        ))
      )
        return false;
      await act(() => api.strategyDelete(id), 'Deleted');
      return true;
    },
    importFile: async () => {
      const path = await pickPath(() => dialogs.openFile('Import strategy', ['json']));
      if (path) await act(() => api.strategyImport(path), 'Imported');
    },
    exportFile: async (id, slug) => {
      const path = await pickPath(() =>
        dialogs.saveFile('Export strategy', `${slug || 'strategy'}.json`, ['json']),
      );
      if (path) await act(() => api.strategyExport(id, path), `Exported to ${path}`);
    },
  };
});
