/**
 * The notifications inbox every view sees: the unread count (the navigation's badge) and the
 * latest entries. Refreshed when the backend says something new arrived.
 */

import { create } from 'zustand';
import { api } from '../ipc';
import type { Inbox } from '../ipc/types';
import { useApp } from './app';

interface InboxState {
  inbox: Inbox;
  refresh: () => Promise<void>;
  markRead: (id?: string) => Promise<void>;
}

export const useInbox = create<InboxState>()((set) => ({
  inbox: { unread: 0, items: [] },
  refresh: async () => {
    try {
      set({ inbox: await api.notificationsList(200) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  markRead: async (id) => {
    try {
      set({ inbox: await api.notificationsMarkRead(id) });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
}));
