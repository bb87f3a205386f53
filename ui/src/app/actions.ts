// Cross-feature actions: opening a strategy in the editor (keeping unsaved work as a draft)
// and what to do when the window is asked to close.

import { api, dialogs } from '../ipc';
import { useSession } from '../features/editor/session';
import { useEditor } from '../features/editor/store';
import { useRuns } from '../features/runs/store';
import { useApp } from '../common/app';

/** Stores the working graph as a draft right away (used before switching or closing). */
export async function flushDraft(): Promise<void> {
  const id = useSession.getState().strategyId;
  const ed = useEditor.getState();
  if (id && ed.isDirty()) await api.draftPut(id, ed.getDoc()).catch(() => undefined);
}

export async function openStrategy(id: string, title: string): Promise<void> {
  const s = useSession.getState();
  if (s.strategyId && s.strategyId !== id) await flushDraft();
  if (s.strategyId !== id) {
    await s.open(id, title);
    const params = Object.fromEntries(
      useEditor.getState().meta.parameters.map((p) => [p.name, p.default]),
    );
    useRuns.getState().resetParamValues(params);
    void useRuns.getState().loadHistory(id);
  }
  useApp.getState().setView('editor');
}

/** Asked when the window is closing: true lets it close. Unsaved work is kept as a draft. */
export async function confirmClose(): Promise<boolean> {
  if (!useEditor.getState().isDirty() || !useSession.getState().strategyId) return true;
  const ok = await dialogs.confirm(
    `“${useSession.getState().title}” has unsaved changes. Close anyway? They are kept as a draft and restored next time.`,
    'Unsaved changes',
  );
  if (ok) await flushDraft();
  return ok;
}
