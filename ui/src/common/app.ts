// App-wide state: which view is shown, the open strategy, app info, theme, the catalog and
// a short-lived notice line for the status bar.

import { create } from 'zustand';
import type { AppInfo, IpcError, NodeSpec, Theme } from '../ipc/types';

export type View =
  | 'library'
  | 'editor'
  | 'data'
  | 'runs'
  | 'research'
  | 'paper'
  | 'templates'
  | 'review'
  | 'inbox'
  | 'settings';

export interface Notice {
  kind: 'info' | 'error';
  text: string;
}

export interface OpenStrategy {
  id: string;
  title: string;
}

interface AppState {
  view: View;
  info: AppInfo | null;
  theme: Theme;
  catalog: NodeSpec[];
  backendReady: boolean;
  /** The first screen has loaded its data (test id `app-ready`). */
  ready: boolean;
  strategy: OpenStrategy | null;
  notice: Notice | null;
  /** The profile's roles (trader, educator, reviewer, admin) as last read. */
  roles: string[];
  setRoles: (roles: string[]) => void;
  setView: (view: View) => void;
  setInfo: (info: AppInfo) => void;
  setTheme: (theme: Theme) => void;
  setCatalog: (catalog: NodeSpec[]) => void;
  setBackendReady: (ok: boolean) => void;
  setReady: () => void;
  dismissNotice: () => void;
  setStrategy: (s: OpenStrategy | null) => void;
  notify: (text: string, kind?: Notice['kind']) => void;
  fail: (e: unknown) => void;
}

/** One line for an IPC error; quota errors say so plainly. */
export function errorText(e: unknown): string {
  const err = e as Partial<IpcError> | undefined;
  if (!err || typeof err !== 'object') return String(e);
  if (err.code === 'quota_exceeded') return `Quota reached — ${err.message ?? ''}`;
  if (err.code === 'invalid_graph') return `The graph has problems: ${err.message ?? ''}`;
  return err.message ?? String(e);
}

let noticeTimer: ReturnType<typeof setTimeout> | null = null;

export const useApp = create<AppState>()((set) => ({
  view: 'library',
  info: null,
  theme: 'dark',
  catalog: [],
  backendReady: false,
  ready: false,
  strategy: null,
  notice: null,
  roles: [],
  setRoles: (roles) => set({ roles }),
  setView: (view) => set({ view }),
  setInfo: (info) => set({ info }),
  setTheme: (theme) => {
    document.documentElement.dataset.theme = theme;
    set({ theme });
  },
  setCatalog: (catalog) => set({ catalog }),
  setBackendReady: (backendReady) => set({ backendReady }),
  setReady: () => set({ ready: true }),
  dismissNotice: () => set({ notice: null }),
  setStrategy: (strategy) => set({ strategy }),
  notify: (text, kind = 'info') => {
    if (noticeTimer) clearTimeout(noticeTimer);
    set({ notice: { text, kind } });
    // Errors stay until dismissed or replaced; info fades.
    noticeTimer = kind === 'info' ? setTimeout(() => set({ notice: null }), 3500) : null;
  },
  fail: (e) => useApp.getState().notify(errorText(e), 'error'),
}));

/** Whether the Review view is offered: reviewers and administrators (the server still
 * refuses anyone else whatever the app shows). */
export function mayReview(roles: readonly string[]): boolean {
  return roles.includes('reviewer') || roles.includes('admin');
}

/** Asks the user for a file; a dialog failure is shown as an error and gives null. */
export async function pickPath(ask: () => Promise<string | null>): Promise<string | null> {
  try {
    return await ask();
  } catch (e) {
    useApp.getState().fail(e);
    return null;
  }
}
