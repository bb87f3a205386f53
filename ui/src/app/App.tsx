// The app shell: navigation rail, the current view, a status bar, and start-up (catalog,
// validator, theme, first-start example, draft autosave, close confirmation).

import { lazy, Suspense, useEffect } from 'react';
import { LibraryView } from '../features/library/LibraryView';
// The editor is the main screen: loaded eagerly so `app-ready` means it is on screen.
import { EditorView } from '../features/editor/EditorView';
import { useLibrary } from '../features/library/store';
import { startDraftAutosave, useSession } from '../features/editor/session';
import { useEditor } from '../features/editor/store';
import { normalizeCatalog } from '../features/editor/catalog';
import { useExplain } from '../features/editor/explain';
import { RunPanel, runFromEditor } from '../features/runs/RunPanel';
import { useRuns } from '../features/runs/store';
import type { ExplainTrade } from '../features/runs/ResultsView';
import type { RunCombination } from '../features/research/ResearchView';
import { SweepPanel } from '../features/research/SweepPanel';
import { DiffCanvas, DiffSummary, VersionCanvas } from '../features/editor/StaticCanvas';
import { useResearch } from '../features/research/store';
import { SyncIndicator } from '../features/settings/SyncIndicator';
import { api, onBackendEvent, onWindowCloseRequested } from '../ipc';
import type { Theme } from '../ipc/types';
import { mayReview, useApp, type View } from '../common/app';
import type { GraphViews } from '../common/graphViews';
import { useDatasets } from '../common/datasets';
import { useInbox } from '../common/inbox';
import type { EditorPanel } from '../common/runHost';
import { confirmClose, openStrategy } from './actions';

const ResultsView = lazy(() =>
  import('../features/runs/ResultsView').then((m) => ({ default: m.ResultsView })),
);
const ResearchView = lazy(() =>
  import('../features/research/ResearchView').then((m) => ({ default: m.ResearchView })),
);
const DataView = lazy(() =>
  import('../features/data/DataView').then((m) => ({ default: m.DataView })),
);
const PaperView = lazy(() =>
  import('../features/paper/PaperView').then((m) => ({ default: m.PaperView })),
);
const TemplatesView = lazy(() =>
  import('../features/templates/TemplatesView').then((m) => ({ default: m.TemplatesView })),
);
const ReviewView = lazy(() =>
  import('../features/templates/ReviewView').then((m) => ({ default: m.ReviewView })),
);
const InboxView = lazy(() =>
  import('../features/inbox/InboxView').then((m) => ({ default: m.InboxView })),
);
const SettingsView = lazy(() =>
  import('../features/settings/SettingsView').then((m) => ({ default: m.SettingsView })),
);

/** The editor's side-panel tabs that run the strategy; Run is also the toolbar's ▶ Run. */
const EDITOR_PANELS: EditorPanel[] = [
  { id: 'run', label: 'Run', render: (host) => <RunPanel host={host} />, run: runFromEditor },
  { id: 'sweep', label: 'Sweep', render: (host) => <SweepPanel host={host} /> },
];

/** A sweep's combination run in full, as a backtest, then shown in Results. */
const runCombination: RunCombination = (sweep, params) => {
  useDatasets.getState().select(sweep.datasetId);
  useRuns.getState().resetParamValues({ ...params });
  useApp.getState().setView('runs');
  void useRuns
    .getState()
    .run(sweep.strategyId, sweep.version)
    .then((r) => r && useApp.getState().notify('Combination run in full'));
};

/** The editor's read-only canvases, for the template previews and reviews. */
const GRAPH_VIEWS: GraphViews = { Version: VersionCanvas, Diff: DiffCanvas, Summary: DiffSummary };

/** Reads the profile's roles (they change when a sync brings a grant). */
function refreshRoles() {
  void api
    .profileGet()
    .then((p) => useApp.getState().setRoles(p.user.roles))
    .catch(() => undefined);
}

const explainTrade: ExplainTrade = (run, trade, tradeNo) =>
  void useExplain.getState().open(run, trade, tradeNo);

const NAV: [View, string, string][] = [
  ['library', '▤', 'Library'],
  ['editor', '◇', 'Editor'],
  ['runs', '▲', 'Results'],
  ['research', '◈', 'Research'],
  ['data', '▦', 'Data'],
  ['paper', '◎', 'Paper'],
  ['templates', '❖', 'Templates'],
  ['review', '✓', 'Review'],
  ['inbox', '✉', 'Inbox'],
];

async function boot() {
  const app = useApp.getState();
  try {
    const stored = localStorage.getItem('sg-theme');
    if (stored === 'light' || stored === 'dark') app.setTheme(stored);
  } catch {
    // No local storage: keep the default theme.
  }
  try {
    const [info, raw] = await Promise.all([api.appInfo(), api.catalog()]);
    const catalog = normalizeCatalog(raw);
    app.setInfo(info);
    app.setCatalog(catalog);
    useEditor.getState().setCatalog(catalog);
    useEditor.getState().setValidator((doc) => api.validateGraph(doc));
    app.setBackendReady(true);
    void api
      .settingsGet()
      .then((s) => s?.theme && app.setTheme(s.theme as Theme))
      .catch(() => undefined);
    void useDatasets.getState().refresh();
    void useInbox.getState().refresh();
    refreshRoles();
    // First start: open the example strategy so Run works at once.
    if (info.firstStart) {
      const list = await api.strategiesList({});
      const ex = list.find((s) => s.strategy.id === info.exampleStrategyId) ?? list[0];
      if (info.sampleDatasetId) useDatasets.getState().select(info.sampleDatasetId);
      if (ex) await openStrategy(ex.strategy.id, ex.strategy.title);
    } else {
      await useLibrary.getState().refresh();
    }
    app.setReady();
  } catch (e) {
    app.setBackendReady(false);
    app.fail(e);
  }
}

function StatusBar() {
  const ready = useApp((s) => s.backendReady);
  const appReady = useApp((s) => s.ready);
  const notice = useApp((s) => s.notice);
  const strategy = useApp((s) => s.strategy);
  const nodes = useEditor((s) => s.nodes.length);
  const edges = useEditor((s) => s.edges.length);
  const sel = useEditor((s) => s.selection.length);
  const dirty = useEditor((s) => s.revision !== s.savedRevision);
  const version = useSession((s) => s.baseVersion);
  const running = useRuns((s) => s.running);
  const researchJob = useResearch((s) =>
    s.job ? (s.job.kind === 'sweep' ? 'sweep' : 'walk-forward') : null,
  );
  const info = useApp((s) => s.info);
  return (
    <footer className="statusbar" data-testid="status-bar">
      <span data-testid={appReady ? 'app-ready' : undefined}>
        <span className={`dot ${ready ? '' : 'off'}`} />
        {ready ? 'local store' : 'backend offline'}
      </span>
      {strategy && (
        <span>
          {strategy.title} · {version !== null ? `v${version}` : 'unsaved'}
          {dirty ? ' · modified' : ''}
        </span>
      )}
      {strategy && (
        <span>
          {nodes} nodes · {edges} edges{sel ? ` · ${sel} selected` : ''}
        </span>
      )}
      {running && <span>running backtest…</span>}
      {researchJob && <span>running {researchJob}…</span>}
      <SyncIndicator />
      <span className="grow" />
      {notice?.kind === 'info' && (
        <span className={`notice ${notice.kind}`} data-testid="notice">
          {notice.text}
        </span>
      )}
      <span>{info ? `v${info.version}` : ''}</span>
    </footer>
  );
}

/** Where an IpcError message is shown (test id `error-banner`). */
function ErrorBanner() {
  const notice = useApp((s) => s.notice);
  if (notice?.kind !== 'error') return null;
  return (
    <div className="banner error error-banner" data-testid="error-banner" role="alert">
      <span className="grow">{notice.text}</span>
      <button className="btn small" onClick={() => useApp.getState().dismissNotice()}>
        Dismiss
      </button>
    </div>
  );
}

export function App() {
  const view = useApp((s) => s.view);
  const unread = useInbox((s) => s.inbox.unread);
  const setView = useApp((s) => s.setView);
  const reviewer = useApp((s) => mayReview(s.roles));
  useEffect(() => {
    if (useApp.getState().backendReady) refreshRoles();
  }, [view]);
  useEffect(() => {
    void boot();
    const stopDrafts = startDraftAutosave();
    let stopClose: (() => void) | null = null;
    void onWindowCloseRequested(confirmClose).then((f) => (stopClose = f));
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (useEditor.getState().isDirty()) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    let stopInbox: (() => void) | null = null;
    void onBackendEvent('inbox-changed', () => void useInbox.getState().refresh()).then(
      (f) => (stopInbox = f),
    );
    return () => {
      stopDrafts();
      stopClose?.();
      stopInbox?.();
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);
  return (
    <div className="shell">
      <nav className="nav">
        <div className="logo" title="Stratagraph">
          S
        </div>
        {NAV.filter(([v]) => v !== 'review' || reviewer).map(([v, ico, label]) => {
          const button = (
            <button
              key={v}
              className={view === v ? 'active' : ''}
              onClick={() => setView(v)}
              data-testid={`nav-${v}`}
              title={label}
            >
              <span className="ico">{ico}</span>
              {label}
              {v === 'inbox' && unread > 0 && (
                <span className="badge" data-testid="inbox-badge">
                  {unread}
                </span>
              )}
            </button>
          );
          // The run history is also `nav-history` (docs/ipc-contract.md test ids).
          return v === 'runs' ? (
            <span key={v} data-testid="nav-history">
              {button}
            </span>
          ) : (
            button
          );
        })}
        <span className="spacer" />
        <button
          className={view === 'settings' ? 'active' : ''}
          onClick={() => setView('settings')}
          data-testid="nav-settings"
          title="Settings"
        >
          <span className="ico">⚙</span>
          Settings
        </button>
      </nav>
      <main className="main">
        <ErrorBanner />
        <Suspense fallback={<div className="page muted">Loading…</div>}>
          {view === 'library' && <LibraryView onOpen={openStrategy} />}
          {view === 'editor' && <EditorView panels={EDITOR_PANELS} />}
          {view === 'runs' && <ResultsView onExplain={explainTrade} />}
          {view === 'research' && <ResearchView onRunCombination={runCombination} />}
          {view === 'data' && <DataView />}
          {view === 'paper' && <PaperView />}
          {view === 'templates' && <TemplatesView views={GRAPH_VIEWS} />}
          {view === 'review' && <ReviewView views={GRAPH_VIEWS} />}
          {view === 'inbox' && <InboxView />}
          {view === 'settings' && <SettingsView />}
        </Suspense>
      </main>
      <StatusBar />
    </div>
  );
}
