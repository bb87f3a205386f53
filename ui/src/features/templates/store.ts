// Templates and reviews on the shared server: the gallery, your own templates, submissions
// waiting in the outbox, the review queue; previews, cloning and deciding. The server
// decides what each user sees and may do.

import { create } from 'zustand';
import { api } from '../../ipc';
import type {
  IpcError,
  PendingPublish,
  ReviewItem,
  TemplateDetailItem,
  TemplateItem,
} from '../../ipc/types';
import { parseGraph, type GraphDoc } from '../../common/graphDoc';

/** A template opened read-only: its details and the graph its audience sees. */
export interface TemplatePreview {
  template: TemplateItem;
  detail: TemplateDetailItem | null;
  doc: GraphDoc;
}

/** A review opened read-only: the submitted graph and, if any, the approved one to diff. */
export interface ReviewPreview {
  reviewId: string;
  submitted: GraphDoc;
  approved: GraphDoc | null;
}

interface TemplatesState {
  gallery: TemplateItem[];
  mine: TemplateItem[];
  pending: PendingPublish[];
  queue: ReviewItem[];
  loading: boolean;
  /** The last error in words (the server unreachable, a role missing ...). */
  error: string | null;
  /** The strategy the last clone created. */
  clonedStrategyId: string | null;
  preview: TemplatePreview | null;
  review: ReviewPreview | null;
  /** Who cloned each of your templates (user ids), once asked for. */
  clonedBy: Record<string, string[]>;
  load: () => Promise<void>;
  openPreview: (t: TemplateItem) => Promise<void>;
  closePreview: () => void;
  clone: (templateId: string) => Promise<string | null>;
  withdraw: (templateId: string) => Promise<void>;
  loadClonedBy: (templateId: string) => Promise<void>;
  loadQueue: () => Promise<void>;
  openReview: (r: ReviewItem) => Promise<void>;
  closeReview: () => void;
  decide: (reviewId: string, approve: boolean, reason: string) => Promise<boolean>;
}

const message = (e: unknown) => (e as IpcError).message ?? String(e);

export const useTemplates = create<TemplatesState>()((set, get) => ({
  gallery: [],
  mine: [],
  pending: [],
  queue: [],
  loading: false,
  error: null,
  clonedStrategyId: null,
  preview: null,
  review: null,
  clonedBy: {},

  load: async () => {
    set({ loading: true, error: null });
    // What waits in the outbox is known here, with or without a server.
    set({ pending: await api.templatesPending().catch(() => get().pending) });
    try {
      const [all, mine] = await Promise.all([api.templatesList(false), api.templatesList(true)]);
      const own = new Set(mine.map((t) => t.id));
      set({ gallery: all.filter((t) => !own.has(t.id)), mine });
      // Listing sends queued submissions first.
      set({ pending: await api.templatesPending().catch(() => get().pending) });
    } catch (e) {
      set({ error: message(e) });
    } finally {
      set({ loading: false });
    }
  },

  openPreview: async (t) => {
    set({ error: null });
    try {
      const [version, detail] = await Promise.all([
        api.templateVersion(t.versionId),
        api.templateShow(t.id).catch(() => null),
      ]);
      set({ preview: { template: t, detail, doc: parseGraph(version.graph) } });
    } catch (e) {
      set({ error: message(e) });
    }
  },

  closePreview: () => set({ preview: null }),

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

  loadClonedBy: async (templateId) => {
    set({ error: null });
    try {
      const d = await api.templateShow(templateId);
      set({ clonedBy: { ...get().clonedBy, [templateId]: d.clonedBy } });
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

  openReview: async (r) => {
    if (!r.versionId) {
      set({ error: 'This review names no version.' });
      return;
    }
    set({ error: null });
    try {
      const [submitted, approved] = await Promise.all([
        api.templateVersion(r.versionId),
        r.approvedVersionId && r.approvedVersionId !== r.versionId
          ? api.templateVersion(r.approvedVersionId)
          : Promise.resolve(null),
      ]);
      set({
        review: {
          reviewId: r.id,
          submitted: parseGraph(submitted.graph),
          approved: approved ? parseGraph(approved.graph) : null,
        },
      });
    } catch (e) {
      set({ error: message(e) });
    }
  },

  closeReview: () => set({ review: null }),

  decide: async (reviewId, approve, reason) => {
    if (!reason.trim()) {
      set({ error: 'A decision needs a reason: the educator is told why.' });
      return false;
    }
    set({ error: null });
    try {
      await api.reviewDecide(reviewId, approve, reason.trim());
      if (get().review?.reviewId === reviewId) set({ review: null });
      await get().loadQueue();
      return true;
    } catch (e) {
      set({ error: message(e) });
      return false;
    }
  },
}));
