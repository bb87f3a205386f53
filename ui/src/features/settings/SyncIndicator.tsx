// The status bar's sync line ("synced 2 min ago", "3 pending", "sync offline"); hidden
// until a server is configured. Clicking it opens Settings → Sync.

import { useEffect, useState } from 'react';
import { useApp } from '../../common/app';
import { indicatorText, useSync } from './sync';

export function SyncIndicator() {
  const status = useSync((s) => s.status);
  const running = useSync((s) => s.job.kind !== 'idle');
  const backendReady = useApp((s) => s.backendReady);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!backendReady) return;
    void useSync.getState().load();
    const t = setInterval(() => {
      setNow(Date.now());
      void useSync.getState().load();
    }, 30_000);
    return () => clearInterval(t);
  }, [backendReady]);
  const line = indicatorText(status, running, now);
  if (!line) return null;
  return (
    <button
      className={`sync-indicator ${line.tone}`}
      data-testid="sync-indicator"
      title={status?.lastError ?? 'Sync settings'}
      onClick={() => useApp.getState().setView('settings')}
    >
      <span className="dot" />
      {line.text}
    </button>
  );
}
