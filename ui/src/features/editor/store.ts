// The editor's zustand store: the graph as React Flow nodes and edges plus the rest of the
// document, with every editing action, undo/redo as snapshots of the graph document, the
// clipboard, and debounced validation through an injectable validator.

import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import { create } from 'zustand';
import type { NodeSpec, ParamValue, Problem } from '../../ipc/types';
import { checkConnection, defaultParams, indexCatalog, type Catalog } from './catalog';
import {
  edgeId,
  emptyGraph,
  freshId,
  fromFlow,
  fromFlowNode,
  toFlow,
  toFlowEdge,
  toFlowNode,
  type GraphDoc,
  type GraphEdge,
  type GraphMeta,
  type GraphNode,
  type GraphSettings,
  type ParamDecl,
  type SgEdge,
  type SgNode,
} from './graph';
import { tidyLayout } from './layout';
import type { CommentFrame } from '../../common/lesson';

export type Validator = (doc: GraphDoc) => Promise<Problem[]>;

/** The problems of one node, for marking it (and its ports and params) in place. */
export interface NodeProblems {
  messages: string[];
  ports: string[];
  params: string[];
}

interface Snapshot {
  doc: GraphDoc;
  revision: number;
}

export interface Clipboard {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const HISTORY_LIMIT = 200;
const COALESCE_MS = 800;
export const VALIDATE_DEBOUNCE_MS = 150;

let nextRevision = 1;
let validateTimer: ReturnType<typeof setTimeout> | null = null;
let validateSeq = 0;

export interface EditorState {
  catalog: Catalog;
  nodes: SgNode[];
  edges: SgEdge[];
  meta: GraphMeta;
  /** Ids of the selected nodes, in node order. */
  selection: string[];
  past: Snapshot[];
  future: Snapshot[];
  revision: number;
  savedRevision: number;
  dragActive: boolean;
  coalesce: { key: string; at: number } | null;
  clipboard: Clipboard | null;
  problems: Problem[];
  problemsByNode: Record<string, NodeProblems>;
  validating: boolean;
  validator: Validator | null;
  /** Why the last refused connection was refused (shown while dragging a wire). */
  connectionHint: string | null;

  setCatalog: (specs: NodeSpec[]) => void;
  setValidator: (v: Validator | null) => void;
  load: (doc: GraphDoc, opts?: { dirty?: boolean }) => void;
  getDoc: () => GraphDoc;
  isDirty: () => boolean;
  markSaved: () => void;

  onNodesChange: (changes: NodeChange<SgNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<SgEdge>[]) => void;
  onConnect: (c: Connection) => void;
  isValidConnection: (c: Connection | SgEdge) => boolean;

  addNode: (kind: string, position?: XYPosition) => string | null;
  setParam: (nodeId: string, key: string, value: ParamValue | undefined) => void;
  /** Sets a node's lesson note (an empty text removes it). */
  setNote: (nodeId: string, note: string) => void;
  setParameters: (params: ParamDecl[]) => void;
  /** Replaces the lesson's comment frames (`comments` of the document; none removes it). */
  setComments: (comments: CommentFrame[]) => void;
  setSettings: (patch: Partial<GraphSettings>) => void;
  deleteSelection: () => void;
  selectNodes: (ids: string[]) => void;
  selectAll: () => void;
  copySelection: () => Clipboard | null;
  paste: (clip?: Clipboard | null) => void;
  duplicateSelection: () => void;
  tidy: () => void;
  undo: () => void;
  redo: () => void;

  setProblems: (problems: Problem[]) => void;
  scheduleValidation: () => void;
  validateNow: () => Promise<void>;
}

function groupProblems(
  problems: Problem[],
  prev: Record<string, NodeProblems>,
): Record<string, NodeProblems> {
  const out: Record<string, NodeProblems> = {};
  for (const p of problems) {
    if (!p.node) continue;
    const np = (out[p.node] ??= { messages: [], ports: [], params: [] });
    np.messages.push(p.message);
    if (p.port) np.ports.push(p.port);
    if (p.param) np.params.push(p.param);
  }
  // Keep the previous object where nothing changed, so only affected nodes re-render.
  for (const [id, np] of Object.entries(out)) {
    const old = prev[id];
    if (old && JSON.stringify(old) === JSON.stringify(np)) out[id] = old;
  }
  return out;
}

/** Reuses the current flow node where the snapshot holds the very same document node. */
function restoreNodes(current: SgNode[], doc: GraphDoc): SgNode[] {
  const byId = new Map(current.map((n) => [n.id, n]));
  return doc.nodes.map((gn, i) => {
    const cur = byId.get(gn.id);
    if (cur && fromFlowNode(cur) === gn) return cur;
    const fresh = toFlowNode(gn, i);
    return cur ? { ...fresh, selected: cur.selected, measured: cur.measured } : fresh;
  });
}

function restoreEdges(current: SgEdge[], doc: GraphDoc): SgEdge[] {
  const byId = new Map(current.map((e) => [e.id, e]));
  return doc.edges.map((ge) => {
    const cur = byId.get(edgeId(ge));
    return cur && cur.data?.edge === ge ? cur : toFlowEdge(ge);
  });
}

function selectionOf(nodes: SgNode[]): string[] {
  return nodes.filter((n) => n.selected).map((n) => n.id);
}

/** Writes a node's position into its document node so snapshots share unchanged nodes. */
function syncUi(n: SgNode): SgNode {
  const gn = fromFlowNode(n);
  if (gn === n.data.node) return n;
  return { ...n, data: { node: gn } };
}

export const useEditor = create<EditorState>()((set, get) => {
  /** Records an undo step (unless coalesced) before a change to the document. */
  function checkpoint(coalesceKey?: string) {
    const s = get();
    const now = Date.now();
    if (
      coalesceKey &&
      s.coalesce &&
      s.coalesce.key === coalesceKey &&
      now - s.coalesce.at < COALESCE_MS
    ) {
      set({ coalesce: { key: coalesceKey, at: now } });
      return;
    }
    const past = [...s.past, { doc: s.getDoc(), revision: s.revision }];
    if (past.length > HISTORY_LIMIT) past.shift();
    set({ past, future: [], coalesce: coalesceKey ? { key: coalesceKey, at: now } : null });
  }

  function changed() {
    set({ revision: nextRevision++ });
    get().scheduleValidation();
  }

  function nodeKind(id: string): string | undefined {
    return get().nodes.find((n) => n.id === id)?.data.node.kind;
  }

  /** Undo or redo: restores the newest snapshot of one stack and moves the current state
   *  onto the other. */
  function travel(direction: 'undo' | 'redo') {
    const s = get();
    const from = direction === 'undo' ? s.past : s.future;
    const snap = from[from.length - 1];
    if (!snap) return;
    const cur: Snapshot = { doc: s.getDoc(), revision: s.revision };
    const nodes = restoreNodes(s.nodes, snap.doc);
    const { nodes: _n, edges: _e, ...meta } = snap.doc;
    void _n;
    void _e;
    const rest = from.slice(0, -1);
    set({
      nodes,
      edges: restoreEdges(s.edges, snap.doc),
      meta,
      selection: selectionOf(nodes),
      past: direction === 'undo' ? rest : [...s.past, cur],
      future: direction === 'undo' ? [...s.future, cur] : rest,
      revision: snap.revision,
      coalesce: null,
    });
    get().scheduleValidation();
  }

  return {
    catalog: new Map(),
    nodes: [],
    edges: [],
    meta: toFlow(emptyGraph()).meta,
    selection: [],
    past: [],
    future: [],
    revision: 0,
    savedRevision: 0,
    dragActive: false,
    coalesce: null,
    clipboard: null,
    problems: [],
    problemsByNode: {},
    validating: false,
    validator: null,
    connectionHint: null,

    setCatalog: (specs) => set({ catalog: indexCatalog(specs) }),
    setValidator: (validator) => set({ validator }),

    load: (doc, opts) => {
      const { nodes, edges, meta } = toFlow(doc);
      const revision = nextRevision++;
      set({
        nodes,
        edges,
        meta,
        selection: [],
        past: [],
        future: [],
        revision,
        savedRevision: opts?.dirty ? -1 : revision,
        dragActive: false,
        coalesce: null,
        problems: [],
        problemsByNode: {},
      });
      get().scheduleValidation();
    },

    getDoc: () => {
      const s = get();
      return fromFlow(s.nodes, s.edges, s.meta);
    },
    isDirty: () => get().revision !== get().savedRevision,
    markSaved: () => set({ savedRevision: get().revision }),

    onNodesChange: (changes) => {
      const s = get();
      let structural = false;
      let dragStart = false;
      let dragEnd = false;
      for (const c of changes) {
        if (c.type === 'position') {
          if (c.dragging && !s.dragActive) dragStart = true;
          if (c.dragging === false && s.dragActive) dragEnd = true;
        } else if (c.type === 'remove' || c.type === 'add' || c.type === 'replace') {
          structural = true;
        }
      }
      if (dragStart || structural) checkpoint();
      let nodes = applyNodeChanges(changes, s.nodes);
      if (dragEnd)
        nodes = nodes.map((n) =>
          n.selected || changes.some((c) => 'id' in c && c.id === n.id) ? syncUi(n) : n,
        );
      const selChanged = changes.some((c) => c.type === 'select' || c.type === 'remove');
      set({
        nodes,
        ...(selChanged ? { selection: selectionOf(nodes) } : {}),
        ...(dragStart ? { dragActive: true } : {}),
        ...(dragEnd ? { dragActive: false } : {}),
      });
      if (structural) {
        if (changes.some((c) => c.type === 'remove')) {
          const ids = new Set(nodes.map((n) => n.id));
          set({ edges: get().edges.filter((e) => ids.has(e.source) && ids.has(e.target)) });
        }
        changed();
      } else if (dragEnd) {
        changed();
      }
    },

    onEdgesChange: (changes) => {
      const structural = changes.some((c) => c.type !== 'select');
      if (structural) checkpoint();
      set({ edges: applyEdgeChanges(changes, get().edges) });
      if (structural) changed();
    },

    onConnect: (c) => {
      if (!get().isValidConnection(c)) return;
      checkpoint();
      const ge: GraphEdge = {
        from: c.source,
        from_port: c.sourceHandle ?? 'out',
        to: c.target,
        to_port: c.targetHandle ?? 'in',
      };
      // An input takes one edge: a new wire replaces the old one.
      const edges = get().edges.filter(
        (e) => !(e.target === ge.to && e.targetHandle === ge.to_port) && e.id !== edgeId(ge),
      );
      set({ edges: [...edges, toFlowEdge(ge)], connectionHint: null });
      changed();
    },

    isValidConnection: (c) => {
      const s = get();
      const verdict = checkConnection(s.catalog, nodeKind, s.edges, c);
      const hint = verdict.ok ? null : verdict.reason;
      if (hint !== s.connectionHint) set({ connectionHint: hint });
      return verdict.ok;
    },

    addNode: (kind, position) => {
      const s = get();
      const spec = s.catalog.get(kind);
      if (!spec) return null;
      checkpoint();
      const id = freshId(kind, new Set(s.nodes.map((n) => n.id)));
      const pos = position ?? {
        x: 80 + (s.nodes.length % 8) * 24,
        y: 80 + (s.nodes.length % 8) * 24,
      };
      const gn: GraphNode = {
        id,
        kind,
        params: defaultParams(spec),
        ui: { x: Math.round(pos.x), y: Math.round(pos.y) },
      };
      const node: SgNode = { ...toFlowNode(gn), selected: true };
      const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
      set({ nodes, selection: [id] });
      changed();
      return id;
    },

    setParam: (nodeId, key, value) => {
      const s = get();
      const idx = s.nodes.findIndex((n) => n.id === nodeId);
      const cur = s.nodes[idx];
      if (!cur) return;
      checkpoint(`param:${nodeId}:${key}`);
      const gn = fromFlowNode(cur);
      const params = { ...gn.params };
      if (value === undefined) delete params[key];
      else params[key] = value;
      const nodes = s.nodes.slice();
      nodes[idx] = { ...cur, data: { node: { ...gn, params } } };
      set({ nodes });
      changed();
    },

    setNote: (nodeId, note) => {
      const s = get();
      const idx = s.nodes.findIndex((n) => n.id === nodeId);
      const cur = s.nodes[idx];
      if (!cur) return;
      checkpoint(`note:${nodeId}`);
      const gn = { ...fromFlowNode(cur) };
      if (note.trim() === '') delete gn.note;
      else gn.note = note;
      const nodes = s.nodes.slice();
      nodes[idx] = { ...cur, data: { node: gn } };
      set({ nodes });
      changed();
    },

    setParameters: (parameters) => {
      checkpoint('parameters');
      set({ meta: { ...get().meta, parameters } });
      changed();
    },

    setComments: (comments) => {
      checkpoint('comments');
      const meta = { ...get().meta };
      if (comments.length) meta.comments = comments;
      else delete meta.comments;
      set({ meta });
      changed();
    },

    setSettings: (patch) => {
      checkpoint(`settings:${Object.keys(patch).join(',')}`);
      const meta = get().meta;
      set({ meta: { ...meta, settings: { ...meta.settings, ...patch } } });
      changed();
    },

    deleteSelection: () => {
      const s = get();
      const del = new Set(s.selection);
      const selEdges = s.edges.filter((e) => e.selected);
      if (!del.size && !selEdges.length) return;
      checkpoint();
      set({
        nodes: s.nodes.filter((n) => !del.has(n.id)),
        edges: s.edges.filter((e) => !e.selected && !del.has(e.source) && !del.has(e.target)),
        selection: [],
      });
      changed();
    },

    selectNodes: (ids) => {
      const want = new Set(ids);
      const nodes = get().nodes.map((n) =>
        !!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) },
      );
      const edges = get().edges.map((e) => (e.selected ? { ...e, selected: false } : e));
      set({ nodes, edges, selection: selectionOf(nodes) });
    },

    selectAll: () => get().selectNodes(get().nodes.map((n) => n.id)),

    copySelection: () => {
      const s = get();
      const ids = new Set(s.selection);
      if (!ids.size) return null;
      const clip: Clipboard = {
        nodes: s.nodes.filter((n) => ids.has(n.id)).map(fromFlowNode),
        edges: s.edges
          .filter((e) => ids.has(e.source) && ids.has(e.target))
          .map(
            (e) =>
              e.data?.edge ?? {
                from: e.source,
                from_port: e.sourceHandle ?? 'out',
                to: e.target,
                to_port: e.targetHandle ?? 'in',
              },
          ),
      };
      set({ clipboard: clip });
      return clip;
    },

    paste: (given) => {
      const s = get();
      const clip = given ?? s.clipboard;
      if (!clip || !clip.nodes.length) return;
      checkpoint();
      const taken = new Set(s.nodes.map((n) => n.id));
      const rename = new Map<string, string>();
      const pasted: SgNode[] = clip.nodes.map((gn) => {
        const id = freshId(gn.id.replace(/_\d+$/, '') || gn.kind, taken);
        taken.add(id);
        rename.set(gn.id, id);
        const x = (gn.ui?.x ?? 0) + 40;
        const y = (gn.ui?.y ?? 0) + 40;
        const copy: GraphNode = { ...structuredClone(gn), id, ui: { ...gn.ui, x, y } };
        return { ...toFlowNode(copy), selected: true };
      });
      const newEdges = clip.edges.map((e) =>
        toFlowEdge({ ...e, from: rename.get(e.from) ?? e.from, to: rename.get(e.to) ?? e.to }),
      );
      const nodes = [
        ...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
        ...pasted,
      ];
      set({
        nodes,
        edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...newEdges],
        selection: pasted.map((n) => n.id),
        // The next paste lands a further step away.
        clipboard: given
          ? s.clipboard
          : { nodes: pasted.map((n) => n.data.node), edges: newEdges.map((e) => e.data!.edge) },
      });
      changed();
    },

    duplicateSelection: () => {
      const s = get();
      const keep = s.clipboard;
      const clip = s.copySelection();
      if (clip) get().paste(clip);
      set({ clipboard: keep });
    },

    tidy: () => {
      const s = get();
      if (!s.nodes.length) return;
      checkpoint();
      const pos = tidyLayout(
        s.nodes.map((n) => ({
          id: n.id,
          width: n.measured?.width ?? 180,
          height: n.measured?.height ?? 90,
        })),
        s.edges,
      );
      set({
        nodes: s.nodes.map((n) => {
          const p = pos.get(n.id);
          return p ? syncUi({ ...n, position: p }) : n;
        }),
      });
      changed();
    },

    undo: () => travel('undo'),

    redo: () => travel('redo'),

    setProblems: (problems) =>
      set({ problems, problemsByNode: groupProblems(problems, get().problemsByNode) }),

    scheduleValidation: () => {
      if (validateTimer) clearTimeout(validateTimer);
      if (!get().validator) return;
      validateTimer = setTimeout(() => {
        validateTimer = null;
        void get().validateNow();
      }, VALIDATE_DEBOUNCE_MS);
    },

    validateNow: async () => {
      const v = get().validator;
      if (!v) return;
      const seq = ++validateSeq;
      set({ validating: true });
      try {
        const problems = await v(get().getDoc());
        if (seq === validateSeq) get().setProblems(problems);
      } catch {
        // The backend is unavailable: keep the last known problems.
      } finally {
        if (seq === validateSeq) set({ validating: false });
      }
    },
  };
});
