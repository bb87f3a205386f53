// The editing session around the graph store: which strategy and version is open, saving a
// version with a note, drafts kept across restarts, version history, read-only viewing,
// restoring and diffing versions.

import { create } from 'zustand';
import { useApp } from '../../common/app';
import { api } from '../../ipc';
import type { IpcError, VersionSummary } from '../../ipc/types';
import { jsonEqual } from '../../common/graphDiff';
import { parseGraph, type GraphDoc } from './graph';
import { useEditor } from './store';

export const DRAFT_DEBOUNCE_MS = 1000;

interface SessionState {
  strategyId: string | null;
  title: string;
  /** The version the editor's last save or load corresponds to. */
  baseVersion: number | null;
  versions: VersionSummary[];
  /** Unsaved changes were restored from a draft when the strategy was opened. */
  restoredDraft: boolean;
  /** A version shown read-only instead of the working graph. */
  viewing: { version: number; doc: GraphDoc } | null;
  /** Two versions shown as a diff on the canvas. */
  diff: { a: number; b: number; docA: GraphDoc; docB: GraphDoc } | null;
  loading: boolean;
  saving: boolean;
  /** A clone's attribution (its first version's note), which turns on the lesson rules:
   * locked parameters read-only, exercises highlighted. */
  origin: string | null;

  open: (strategyId: string, title: string) => Promise<void>;
  close: () => void;
  save: (note: string) => Promise<boolean>;
  refreshVersions: () => Promise<void>;
  view: (version: number | null) => Promise<void>;
  restore: (version: number) => Promise<void>;
  showDiff: (a: number, b: number) => Promise<void>;
  closeDiff: () => void;
  discardDraft: () => Promise<void>;
}

/** A clone's attribution: version 1's note when it says where the strategy came from. */
export function cloneOrigin(versions: readonly VersionSummary[]): string | null {
  const first = versions.find((v) => v.version === 1)?.notes ?? null;
  return first?.startsWith('Cloned from template') ? first : null;
}

let draftTimer: ReturnType<typeof setTimeout> | null = null;

export const useSession = create<SessionState>()((set, get) => ({
  strategyId: null,
  title: '',
  baseVersion: null,
  versions: [],
  restoredDraft: false,
  viewing: null,
  diff: null,
  loading: false,
  saving: false,
  origin: null,

  open: async (strategyId, title) => {
    set({
      loading: true,
      strategyId,
      title,
      viewing: null,
      diff: null,
      restoredDraft: false,
      origin: null,
    });
    try {
      const versions = await api.versionsList(strategyId);
      const latest = versions.reduce<number | null>(
        (m, v) => (m === null || v.version > m ? v.version : m),
        null,
      );
      const saved =
        latest === null
          ? parseGraph(null)
          : parseGraph((await api.versionGet(strategyId, latest)).graph);
      const draft = await api.draftGet(strategyId).catch(() => null);
      const ed = useEditor.getState();
      if (draft && !jsonEqual(draft, saved)) {
        ed.load(parseGraph(draft), { dirty: true });
        set({ restoredDraft: true });
      } else {
        ed.load(saved);
      }
      set({
        versions: [...versions].sort((a, b) => b.version - a.version),
        baseVersion: latest,
        origin: cloneOrigin(versions),
      });
      useApp.getState().setStrategy({ id: strategyId, title });
    } catch (e) {
      useApp.getState().fail(e);
    } finally {
      set({ loading: false });
    }
  },

  close: () =>
    set({
      strategyId: null,
      title: '',
      versions: [],
      viewing: null,
      diff: null,
      baseVersion: null,
      origin: null,
    }),

  save: async (note) => {
    const { strategyId } = get();
    if (!strategyId) return false;
    set({ saving: true });
    const ed = useEditor.getState();
    const revision = ed.revision;
    try {
      const v = await api.versionSave(strategyId, ed.getDoc(), note);
      // Mark exactly what was sent as saved, even if the user kept typing meanwhile.
      if (useEditor.getState().revision === revision) useEditor.getState().markSaved();
      set({ baseVersion: v.version, restoredDraft: false });
      await api.draftClear(strategyId).catch(() => undefined);
      await get().refreshVersions();
      useApp.getState().notify(`Saved version ${v.version}`);
      return true;
    } catch (e) {
      const err = e as IpcError;
      if (err.code === 'invalid_graph' && err.problems) {
        useEditor.getState().setProblems(err.problems);
        useApp
          .getState()
          .notify(`Not saved: ${err.problems.length} problem(s) in the graph`, 'error');
      } else {
        useApp.getState().fail(e);
      }
      return false;
    } finally {
      set({ saving: false });
    }
  },

  refreshVersions: async () => {
    const { strategyId } = get();
    if (!strategyId) return;
    const versions = await api.versionsList(strategyId);
    set({ versions: [...versions].sort((a, b) => b.version - a.version) });
  },

  view: async (version) => {
    const { strategyId } = get();
    if (version === null || !strategyId) {
      set({ viewing: null });
      return;
    }
    try {
      const v = await api.versionGet(strategyId, version);
      set({ viewing: { version, doc: parseGraph(v.graph) }, diff: null });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  restore: async (version) => {
    const { strategyId } = get();
    if (!strategyId) return;
    try {
      const v = await api.versionGet(strategyId, version);
      const saved = await api.versionSave(strategyId, v.graph, `Restored from version ${version}`);
      useEditor.getState().load(parseGraph(v.graph));
      await api.draftClear(strategyId).catch(() => undefined);
      set({ viewing: null, diff: null, baseVersion: saved.version, restoredDraft: false });
      await get().refreshVersions();
      useApp.getState().notify(`Restored version ${version} as version ${saved.version}`);
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  showDiff: async (a, b) => {
    const { strategyId } = get();
    if (!strategyId) return;
    try {
      const [va, vb] = await Promise.all([
        api.versionGet(strategyId, a),
        api.versionGet(strategyId, b),
      ]);
      set({
        diff: { a, b, docA: parseGraph(va.graph), docB: parseGraph(vb.graph) },
        viewing: null,
      });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },

  closeDiff: () => set({ diff: null }),

  discardDraft: async () => {
    const { strategyId, title } = get();
    if (!strategyId) return;
    await api.draftClear(strategyId).catch(() => undefined);
    useEditor.getState().markSaved();
    await get().open(strategyId, title);
  },
}));

/** Keeps the working graph as a draft (debounced) so an accidental close loses nothing. */
export function startDraftAutosave(): () => void {
  return useEditor.subscribe((s, prev) => {
    if (s.revision === prev.revision) return;
    const id = useSession.getState().strategyId;
    if (!id) return;
    if (draftTimer) clearTimeout(draftTimer);
    draftTimer = setTimeout(() => {
      const ed = useEditor.getState();
      if (useSession.getState().strategyId !== id) return;
      if (ed.isDirty()) void api.draftPut(id, ed.getDoc()).catch(() => undefined);
      else void api.draftClear(id).catch(() => undefined);
    }, DRAFT_DEBOUNCE_MS);
  });
}
