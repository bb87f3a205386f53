// Version history: list, open one read-only, restore it as a new version, diff two.

import { useState } from 'react';
import { dialogs } from '../../ipc';
import { useSession } from './session';

export function VersionsPanel() {
  const versions = useSession((s) => s.versions);
  const viewing = useSession((s) => s.viewing);
  const diff = useSession((s) => s.diff);
  const { view, restore, showDiff, closeDiff } = useSession.getState();
  const [pick, setPick] = useState<number[]>([]);
  const toggle = (v: number) =>
    setPick((p) => (p.includes(v) ? p.filter((x) => x !== v) : [...p.slice(-1), v]));
  return (
    <div data-testid="versions-panel">
      <div className="row" style={{ marginBottom: 8 }}>
        <span className="muted grow" style={{ fontSize: 12 }}>
          Tick two versions to compare.
        </span>
        <button
          className="btn small"
          disabled={pick.length !== 2}
          data-testid="versions-diff"
          onClick={() => {
            const [a, b] = [...pick].sort((x, y) => x - y) as [number, number];
            void showDiff(a, b);
          }}
        >
          Diff
        </button>
        {(viewing || diff) && (
          <button className="btn small" onClick={() => (diff ? closeDiff() : void view(null))}>
            Back to working copy
          </button>
        )}
      </div>
      <div data-testid="versions-list">
        {versions.map((v) => (
          <div key={v.version} data-testid="version-item" data-version={v.version}>
            <div
              className="list-row"
              data-testid="version-row"
              style={viewing?.version === v.version ? { background: 'var(--panel-2)' } : undefined}
            >
              <input
                type="checkbox"
                checked={pick.includes(v.version)}
                onChange={() => toggle(v.version)}
              />
              <div className="grow">
                <div>
                  <b>v{v.version}</b>{' '}
                  <span className="muted">{new Date(v.createdAt).toLocaleString()}</span>
                </div>
                <div className="muted" style={{ fontSize: 12 }}>
                  {v.notes || '—'}
                </div>
              </div>
              <button
                className="btn small"
                onClick={() => void view(v.version)}
                title="Open read-only"
              >
                Open
              </button>
              <button
                className="btn small"
                title="Restore as a new version"
                onClick={async () => {
                  if (
                    await dialogs.confirm(
                      `Restore version ${v.version} as a new version? The working copy is replaced.`,
                    )
                  )
                    void restore(v.version);
                }}
              >
                Restore
              </button>
            </div>
          </div>
        ))}
      </div>
      {!versions.length && <div className="muted">No saved versions yet.</div>}
    </div>
  );
}
