// Templates and reviews on the shared server: the gallery, your own templates, the review
// queue; cloning and deciding. The server decides what each user sees and may do.

import { create } from 'zustand';
import { api } from '../../ipc';
import type { IpcError, ReviewItem, TemplateItem } from '../../ipc/types';

interface TemplatesState {
  gallery: TemplateItem[];
  mine: TemplateItem[];
  queue: ReviewItem[];
  loading: boolean;
  /** The last error in words (the server unreachable, a role missing ...). */
  error: string | null;
  /** The strategy the last clone created. */
  clonedStrategyId: string | null;
  load: () => Promise<void>;
  clone: (templateId: string) => Promise<string | null>;
  withdraw: (templateId: string) => Promise<void>;
  loadQueue: () => Promise<void>;
  decide: (reviewId: string, approve: boolean, reason: string) => Promise<boolean>;
}

const message = (e: unknown) => (e as IpcError).message ?? String(e);

export const useTemplates = create<TemplatesState>()((set, get) => ({
  gallery: [],
  mine: [],
  queue: [],
  loading: false,
  error: null,
  clonedStrategyId: null,

  load: async () => {
    set({ loading: true, error: null });
    try {
      const [all, mine] = await Promise.all([api.templatesList(false), api.templatesList(true)]);
      const own = new Set(mine.map((t) => t.id));
      set({ gallery: all.filter((t) => !own.has(t.id)), mine });
    } catch (e) {
      set({ error: message(e) });
    } finally {
      set({ loading: false });
    }
  },

  clone: async (templateId) => {
    set({ error: null });
    try {
      const id = await api.templateClone(templateId);
      set({ clonedStrategyId: id });
      await get().load();
      return id;
    } catch (e) {
      set({ error: message(e) });
      return null;
    }
  },

  withdraw: async (templateId) => {
    set({ error: null });
    try {
      await api.templateWithdraw(templateId);
      await get().load();
    } catch (e) {
      set({ error: message(e) });
    }
  },

  loadQueue: async () => {
    set({ loading: true, error: null });
    try {
      set({ queue: await api.reviewQueue() });
    } catch (e) {
      set({ error: message(e), queue: [] });
    } finally {
      set({ loading: false });
    }
  },

  decide: async (reviewId, approve, reason) => {
    if (!reason.trim()) {
      set({ error: 'A decision needs a reason: the educator is told why.' });
      return false;
    }
    set({ error: null });
    try {
      await api.reviewDecide(reviewId, approve, reason.trim());
      await get().loadQueue();
      return true;
    } catch (e) {
      set({ error: message(e) });
      return false;
    }
  },
}));
