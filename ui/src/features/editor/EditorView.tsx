// The strategy editor: palette, React Flow canvas, inspector and panels, problems list,
// toolbar with save/undo/redo/layout, keyboard shortcuts, read-only versions and diffs.

import {
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useNodesInitialized,
  useReactFlow,
  useStore,
  ViewportPortal,
  type ReactFlowInstance,
  type ReactFlowState,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApp } from '../../common/app';
import type { EditorPanel, RunHost, SavedVersion } from '../../common/runHost';
import { CanvasMiniMap, MINIMAP_HEIGHT } from './CanvasMiniMap';
import { nodeTypes } from './NodeView';
import { edgeTypes } from './EdgeView';
import type { SgEdge, SgNode } from './graph';
import { Inspector } from './Inspector';
import { HelpOverlay, SaveDialog } from './Overlays';
import { DND_MIME, Palette } from './Palette';
import { LessonPanel, ParametersPanel, SettingsPanel } from './Panels';
import { commentFrames } from '../../common/lesson';
import { ProblemsPanel } from './Problems';
import { keepInView } from './viewport';
import { useSession } from './session';
import { DiffCanvas, DiffSummary, VersionCanvas } from './StaticCanvas';
import { useExplain } from './explain';
import { ExplainView } from './ExplainView';
import { useEditor } from './store';
import { VersionsPanel } from './VersionsPanel';

/** The editor's own tabs; other features add theirs through `panels`. */
type Tab = 'inspect' | 'params' | 'settings' | 'versions' | (string & {});

/** What the editor shows in its side panel and runs, given by `app/`. */
export interface EditorViewProps {
  /** Extra side-panel tabs (Run, Sweep, …) after the editor's own. The first panel with a
   * `run` action is what the toolbar's ▶ Run and Ctrl+Enter do. */
  panels: EditorPanel[];
}

/** Above this many nodes the canvas draws only what is in view and drops costly effects
 * (blurred shadows repaint slowly on software-rendered WebKit). */
const BIG_GRAPH = 150;

/** Below this zoom node text is too small to read, so nodes are drawn as plain boxes: a frame
 * that repaints every node (a pan over 500 nodes) then costs ~20 ms instead of ~60 ms. */
const FAR_ZOOM = 0.4;
const isFar = (s: ReactFlowState) => s.transform[2] < FAR_ZOOM;

/*
 * Props of <ReactFlow> kept at module scope: React Flow copies each changed prop into its store
 * (one store update, and a pass over every node's and edge's subscription, per changed prop), so
 * an inline object or closure would cost several whole-graph passes on every drag frame.
 */
const SNAP_GRID: [number, number] = [10, 10];
// Fit leaves the bottom strip to the minimap (its height and a margin): no node ends up under
// it, and a wide graph keeps the width it had.
const FIT_PADDING = {
  top: '12%',
  left: '12%',
  right: '12%',
  bottom: `${MINIMAP_HEIGHT + 30}px`,
} as const;
const FIT_VIEW_OPTIONS = { padding: FIT_PADDING, maxZoom: 1.2 };
const PRO_OPTIONS = { hideAttribution: true };
const MULTI_SELECTION_KEYS = ['Control', 'Meta'];
const clearConnectionHint = () => useEditor.setState({ connectionHint: null });

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return (
    !!el &&
    (el.tagName === 'INPUT' ||
      el.tagName === 'TEXTAREA' ||
      el.tagName === 'SELECT' ||
      el.isContentEditable)
  );
}

function Canvas({
  readOnly,
  onReady,
}: {
  readOnly: boolean;
  onReady: (rf: ReactFlowInstance<SgNode, SgEdge>) => void;
}) {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const hint = useEditor((s) => s.connectionHint);
  const far = useStore(isFar);
  const { onNodesChange, onEdgesChange, onConnect, isValidConnection, addNode } =
    useEditor.getState();
  const rf = useReactFlow<SgNode, SgEdge>();
  // The first time a graph is on screen (nodes measured), marked for the cold-start figure of
  // the end-to-end test (`performance.getEntriesByName('editor-rendered')`).
  const initialized = useNodesInitialized();
  useEffect(() => {
    if (initialized && nodes.length > 0 && !performance.getEntriesByName('editor-rendered').length)
      performance.mark('editor-rendered');
  }, [initialized, nodes.length]);
  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const kind = e.dataTransfer.getData(DND_MIME);
      if (!kind || readOnly) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(kind, { x: p.x - 80, y: p.y - 20 });
    },
    [rf, addNode, readOnly],
  );
  return (
    <div
      className="canvas"
      data-testid="editor-canvas"
      onDragOver={(e) => e.preventDefault()}
      onDrop={onDrop}
    >
      {hint && (
        <div className="hint" data-testid="connection-hint">
          {hint}
        </div>
      )}
      <ReactFlow<SgNode, SgEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onConnectEnd={clearConnectionHint}
        onInit={onReady}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECTION_KEYS}
        snapToGrid
        snapGrid={SNAP_GRID}
        onlyRenderVisibleElements={nodes.length > BIG_GRAPH}
        className={[nodes.length > BIG_GRAPH && 'big', far && 'far'].filter(Boolean).join(' ')}
        minZoom={0.1}
        fitView
        fitViewOptions={FIT_VIEW_OPTIONS}
        proOptions={PRO_OPTIONS}
      >
        <Background gap={20} color="var(--grid)" />
        <LessonFrames />
        <CanvasMiniMap />
        <Controls showInteractive={false} />
      </ReactFlow>
      <div className="legend">
        <span style={{ '--c': 'var(--port-number)' } as React.CSSProperties}>number</span>
        <span style={{ '--c': 'var(--port-bool)' } as React.CSSProperties}>bool</span>
        <span style={{ '--c': 'var(--port-scalar)' } as React.CSSProperties}>scalar</span>
      </div>
    </div>
  );
}

export function EditorView(props: EditorViewProps) {
  const explaining = useExplain((s) => s.run !== null);
  return explaining ? <ExplainView /> : <WorkingEditor {...props} />;
}

/** The editor on the open strategy's working graph (or one of its versions, or a diff). */
function WorkingEditor({ panels }: EditorViewProps) {
  const catalog = useApp((s) => s.catalog);
  const strategyId = useSession((s) => s.strategyId);
  const title = useSession((s) => s.title);
  const baseVersion = useSession((s) => s.baseVersion);
  const viewing = useSession((s) => s.viewing);
  const diff = useSession((s) => s.diff);
  const restoredDraft = useSession((s) => s.restoredDraft);
  const saving = useSession((s) => s.saving);
  const dirty = useEditor((s) => s.revision !== s.savedRevision);
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const problemCount = useEditor((s) => s.problems.length);
  const [tab, setTab] = useState<Tab>('inspect');
  const [help, setHelp] = useState(false);
  // The save dialog; `then` names what follows the save ("run", "sweep"), if anything.
  const [saveFor, setSaveFor] = useState<null | { then?: string }>(null);
  const pendingSave = useRef<((v: SavedVersion | null) => void) | null>(null);
  const rfRef = useRef<ReactFlowInstance<SgNode, SgEdge> | null>(null);
  const readOnly = !!viewing || !!diff;
  const ed = useEditor.getState;

  const fit = useCallback(
    () => void rfRef.current?.fitView({ padding: FIT_PADDING, duration: 200, maxZoom: 1.2 }),
    [],
  );

  const focusNode = useCallback(
    (id: string) => {
      ed().selectNodes([id]);
      setTab('inspect');
      const n = ed().nodes.find((x) => x.id === id);
      if (n && rfRef.current)
        void rfRef.current.setCenter(n.position.x + 80, n.position.y + 40, {
          zoom: 1.1,
          duration: 250,
        });
    },
    [ed],
  );

  const parameters = useEditor((s) => s.meta.parameters);
  const unsaved = dirty || baseVersion === null;

  /** Closes the save dialog; a panel waiting for the save learns that none happened. */
  const closeSave = useCallback(() => {
    setSaveFor(null);
    pendingSave.current?.(null);
    pendingSave.current = null;
  }, []);

  const ensureSaved = useCallback(
    async (action: string): Promise<SavedVersion | null> => {
      const sid = useSession.getState().strategyId;
      const v = useSession.getState().baseVersion;
      if (readOnly || !sid) return null;
      // Say what is wrong before asking for anything (an invalid graph cannot be saved or run).
      await ed().validateNow();
      const problems = ed().problems;
      if (problems.length) {
        const first = problems[0]!;
        useApp
          .getState()
          .notify(
            `Cannot ${action}: the graph has ${problems.length} problem${problems.length > 1 ? 's' : ''} — ${first.node ? `${first.node}: ` : ''}${first.message}`,
            'error',
          );
        return null;
      }
      if (!ed().isDirty() && v !== null) return { strategyId: sid, version: v };
      return new Promise<SavedVersion | null>((resolve) => {
        pendingSave.current?.(null);
        pendingSave.current = resolve;
        setSaveFor({ then: action });
      });
    },
    [readOnly, ed],
  );

  const host = useMemo<RunHost | null>(
    () =>
      strategyId
        ? { strategyId, parameters, unsaved, savedVersion: baseVersion, readOnly, ensureSaved }
        : null,
    [strategyId, parameters, unsaved, baseVersion, readOnly, ensureSaved],
  );
  const runner = panels.find((p) => p.run);

  const requestRun = useCallback(() => {
    if (readOnly || !host || !runner?.run) return;
    setTab(runner.id);
    runner.run(host);
  }, [readOnly, host, runner]);

  const doSave = async (note: string) => {
    const ok = await useSession.getState().save(note);
    if (!ok) return;
    setSaveFor(null);
    const sid = useSession.getState().strategyId;
    const v = useSession.getState().baseVersion;
    pendingSave.current?.(sid && v !== null ? { strategyId: sid, version: v } : null);
    pendingSave.current = null;
  };

  // Keyboard shortcuts while the editor is shown.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 's') {
        e.preventDefault();
        if (!readOnly) setSaveFor({});
        return;
      }
      if (mod && e.key === 'Enter') {
        e.preventDefault();
        requestRun();
        return;
      }
      if (e.key === 'Escape') {
        setHelp(false);
        closeSave();
        return;
      }
      if (isTyping(e.target) || saveFor) return;
      if (e.key === '?') {
        setHelp((h) => !h);
        return;
      }
      if (!mod && k === 'f') return fit();
      if (readOnly) return;
      if (mod && k === 'z' && !e.shiftKey) {
        e.preventDefault();
        ed().undo();
      } else if ((mod && k === 'z' && e.shiftKey) || (mod && k === 'y')) {
        e.preventDefault();
        ed().redo();
      } else if (mod && k === 'c') {
        ed().copySelection();
      } else if (mod && k === 'v') {
        ed().paste();
      } else if (mod && k === 'd') {
        e.preventDefault();
        ed().duplicateSelection();
      } else if (mod && k === 'a') {
        e.preventDefault();
        ed().selectAll();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        ed().deleteSelection();
      } else if (!mod && k === 'l') {
        ed().tidy();
        setTimeout(fit, 30);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [readOnly, saveFor, fit, requestRun, closeSave, ed]);

  if (!strategyId) {
    return (
      <div className="page">
        <div className="muted">No strategy open. Pick one in the Library.</div>
        <button
          className="btn"
          style={{ marginTop: 10 }}
          onClick={() => useApp.getState().setView('library')}
        >
          Open the library
        </button>
      </div>
    );
  }

  const tabs: [Tab, string][] = [
    ['inspect', 'Inspector'],
    ['params', 'Parameters'],
    ['settings', 'Settings'],
    ['lesson', 'Lesson'],
    ['versions', 'Versions'],
    ...panels.map((p): [Tab, string] => [p.id, p.label]),
  ];
  const panel = panels.find((p) => p.id === tab);

  return (
    <div className="editor" data-testid="editor">
      <div className="toolbar">
        <span className="title" title={title} data-testid="editor-title">
          {title}
        </span>
        <span className="muted" style={{ fontSize: 11 }}>
          {baseVersion !== null ? `v${baseVersion}` : 'unsaved'}
        </span>
        {dirty && !readOnly && (
          <span className="dirty" data-testid="dirty-marker">
            ● unsaved changes
          </span>
        )}
        <span className="sep" />
        <button
          className="btn"
          disabled={readOnly || saving}
          onClick={() => setSaveFor({})}
          data-testid="save-button"
          title="Save a new version (Ctrl+S)"
        >
          Save
        </button>
        <button
          className="btn icon"
          disabled={readOnly || !canUndo}
          onClick={() => ed().undo()}
          title="Undo (Ctrl+Z)"
          data-testid="undo"
        >
          ↶
        </button>
        <button
          className="btn icon"
          disabled={readOnly || !canRedo}
          onClick={() => ed().redo()}
          title="Redo (Ctrl+Shift+Z)"
          data-testid="redo"
        >
          ↷
        </button>
        <span className="sep" />
        <button
          className="btn"
          disabled={readOnly}
          onClick={() => {
            ed().tidy();
            setTimeout(fit, 30);
          }}
          title="Tidy layout (L)"
          data-testid="tidy"
        >
          Tidy
        </button>
        <button className="btn" onClick={fit} title="Fit view (F)">
          Fit
        </button>
        <button
          className="btn icon"
          onClick={() => setHelp(true)}
          title="Keyboard shortcuts (?)"
          data-testid="help-button"
        >
          ?
        </button>
        <span className="grow" />
        <span className={problemCount ? 'neg' : 'pos'} style={{ fontSize: 12 }}>
          {problemCount ? `${problemCount} problem${problemCount > 1 ? 's' : ''}` : '✓ valid'}
        </span>
        <button
          className="btn primary"
          disabled={readOnly || !runner}
          onClick={requestRun}
          title="Run (Ctrl+Enter)"
          data-testid="toolbar-run"
        >
          ▶ Run
        </button>
      </div>
      <Palette
        specs={catalog}
        disabled={readOnly}
        onAdd={(kind) => {
          ed().addNode(
            kind,
            rfRef.current?.screenToFlowPosition({
              x: window.innerWidth / 2 - 80,
              y: window.innerHeight / 2 - 40,
            }),
          );
        }}
      />
      <div style={{ display: 'flex', flexDirection: 'column', minHeight: 0, minWidth: 0 }}>
        {restoredDraft && !readOnly && (
          <div className="banner info" data-testid="draft-banner">
            Unsaved changes from your last session were restored.
            <span className="grow" />
            <button className="btn small" onClick={() => setSaveFor({})}>
              Save them
            </button>
            <button className="btn small" onClick={() => void useSession.getState().discardDraft()}>
              Discard
            </button>
          </div>
        )}
        {viewing && (
          <div className="banner warn" data-testid="readonly-banner">
            Viewing version {viewing.version} (read-only).
            <span className="grow" />
            <button
              className="btn small"
              onClick={() => void useSession.getState().restore(viewing.version)}
            >
              Restore as new version
            </button>
            <button className="btn small" onClick={() => void useSession.getState().view(null)}>
              Back to working copy
            </button>
          </div>
        )}
        {diff && (
          <div className="banner info" data-testid="diff-banner">
            Diff: version {diff.a} → version {diff.b}.
            <span style={{ color: 'var(--added)' }}>added</span>
            <span style={{ color: 'var(--removed)' }}>removed</span>
            <span style={{ color: 'var(--changed)' }}>changed</span>
            <span className="grow" />
            <button className="btn small" onClick={() => useSession.getState().closeDiff()}>
              Close diff
            </button>
          </div>
        )}
        <div style={{ flex: 1, minHeight: 0, display: 'flex' }}>
          {diff ? (
            <div className="canvas" style={{ flex: 1 }} data-testid="diff-canvas">
              <DiffCanvas a={diff.docA} b={diff.docB} />
            </div>
          ) : viewing ? (
            <div className="canvas" style={{ flex: 1 }} data-testid="version-canvas">
              <VersionCanvas doc={viewing.doc} />
            </div>
          ) : (
            <div style={{ flex: 1, display: 'flex' }}>
              <ReactFlowProvider>
                <div style={{ flex: 1, display: 'flex' }}>
                  <CanvasHost readOnly={readOnly} onReady={(rf) => (rfRef.current = rf)} />
                </div>
              </ReactFlowProvider>
            </div>
          )}
        </div>
      </div>
      <aside className="side">
        <div className="tabs">
          {tabs.map(([t, label]) => (
            <button
              key={t}
              className={tab === t ? 'active' : ''}
              onClick={() => setTab(t)}
              data-testid={`tab-${t}`}
            >
              {label}
            </button>
          ))}
        </div>
        <div className="body">
          {diff && tab !== 'versions' ? <DiffSummary a={diff.docA} b={diff.docB} /> : null}
          {tab === 'inspect' && !diff && <Inspector readOnly={readOnly} />}
          {tab === 'params' && <ParametersPanel readOnly={readOnly} />}
          {tab === 'settings' && <SettingsPanel readOnly={readOnly} />}
          {tab === 'lesson' && <LessonPanel readOnly={readOnly} />}
          {tab === 'versions' && <VersionsPanel />}
          {panel && host && panel.render(host)}
        </div>
      </aside>
      <ProblemsPanel onFocusNode={focusNode} />
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
      {saveFor && (
        <SaveDialog
          busy={saving}
          then={saveFor.then}
          onClose={closeSave}
          onSave={(n) => void doSave(n)}
        />
      )}
    </div>
  );
}

/** The lesson's comment frames drawn on the working canvas, in flow coordinates, behind
 * nothing and catching no pointer (they are edited in the Lesson tab). */
function LessonFrames() {
  const comments = useEditor((s) => s.meta.comments);
  const frames = useMemo(() => commentFrames({ comments }), [comments]);
  if (!frames.length) return null;
  return (
    <ViewportPortal>
      {frames.map((f) => (
        <div
          key={f.id}
          className="comment-frame"
          data-testid={`comment-${f.id}`}
          style={{
            position: 'absolute',
            transform: `translate(${f.x}px, ${f.y}px)`,
            width: f.width ?? 240,
            height: f.height ?? 120,
            pointerEvents: 'none',
          }}
        >
          {f.text}
        </div>
      ))}
    </ViewportPortal>
  );
}

function CanvasHost(props: {
  readOnly: boolean;
  onReady: (rf: ReactFlowInstance<SgNode, SgEdge>) => void;
}) {
  // When the canvas gets shorter or taller (the Problems list opening or closing below it),
  // the graph is rescaled so what was in view stays in view.
  const box = useRef<HTMLDivElement>(null);
  const rf = useReactFlow<SgNode, SgEdge>();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let last = { w: el.clientWidth, h: el.clientHeight };
    const ro = new ResizeObserver(() => {
      const now = { w: el.clientWidth, h: el.clientHeight };
      if (now.w === last.w && now.h !== last.h && last.h > 0) {
        void rf.setViewport(keepInView(rf.getViewport(), now.w, last.h, now.h));
      }
      last = now;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [rf]);
  return (
    <div ref={box} style={{ flex: 1, position: 'relative' }}>
      <div style={{ position: 'absolute', inset: 0, display: 'flex' }}>
        <div style={{ flex: 1, position: 'relative' }}>
          <Canvas {...props} />
        </div>
      </div>
    </div>
  );
}
