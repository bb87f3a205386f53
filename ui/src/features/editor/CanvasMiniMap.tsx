// The editor's minimap, drawn on a canvas. React Flow's SVG minimap lays out one element per
// node again on every frame in which the view or the graph's bounds change (each frame of a
// pan): 3–4 ms a frame with 500 nodes on this 2-core machine, against about 1 ms for redrawing
// the same rectangles on a canvas. It also shows selected nodes and nodes with problems.
// Drag it to pan, click to centre the view there, scroll to zoom.

import {
  getNodesBounds,
  Panel,
  useReactFlow,
  useStoreApi,
  type ReactFlowState,
} from '@xyflow/react';
import { useEffect, useRef } from 'react';
import { useApp } from '../../common/app';
import type { SgEdge, SgNode } from './graph';
import { fromMinimap, minimapFrame, toMinimap, type MinimapFrame, type Rect } from './minimap';
import { CATEGORY_COLOR } from './NodeView';
import { useEditor } from './store';

const WIDTH = 200;
/** The minimap's height: `Fit` keeps the graph clear of it. */
export const MINIMAP_HEIGHT = 150;
const HEIGHT = MINIMAP_HEIGHT;

type State = ReactFlowState<SgNode, SgEdge>;

/** Bounds of all visible nodes, or null when there are none. */
function nodesBounds(s: State): Rect | null {
  const shown = [...s.nodeLookup.values()].filter((n) => !n.hidden);
  return shown.length ? getNodesBounds(shown, { nodeLookup: s.nodeLookup }) : null;
}

/** The visible part of the flow. */
function viewRect(s: State): Rect {
  const [tx, ty, zoom] = s.transform;
  return { x: -tx / zoom, y: -ty / zoom, width: s.width / zoom, height: s.height / zoom };
}

function draw(
  canvas: HTMLCanvasElement,
  s: State,
  problems: Record<string, unknown>,
): MinimapFrame {
  const view = viewRect(s);
  const frame = minimapFrame(nodesBounds(s), view, WIDTH, HEIGHT);
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(WIDTH * dpr)) {
    canvas.width = Math.round(WIDTH * dpr);
    canvas.height = Math.round(HEIGHT * dpr);
  }
  const g = canvas.getContext('2d');
  if (!g) return frame;
  const css = getComputedStyle(canvas);
  const color = (v: string) => css.getPropertyValue(v).trim();
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = color('--panel');
  g.fillRect(0, 0, WIDTH, HEIGHT);
  const k = 1 / frame.scale;
  const plain = color('--muted');
  const accent = color('--accent');
  const danger = color('--danger');
  for (const n of s.nodeLookup.values()) {
    if (n.hidden) continue;
    const p = toMinimap(frame, n.internals.positionAbsolute);
    g.fillStyle =
      n.id in problems
        ? danger
        : n.selected
          ? accent
          : n.data.node.kind.startsWith('order')
            ? CATEGORY_COLOR.order
            : plain;
    g.fillRect(
      p.x,
      p.y,
      Math.max(1, (n.measured.width ?? 0) * k),
      Math.max(1, (n.measured.height ?? 0) * k),
    );
  }
  // Dim everything outside the visible part.
  const v = toMinimap(frame, view);
  g.beginPath();
  g.rect(0, 0, WIDTH, HEIGHT);
  g.rect(v.x, v.y, view.width * k, view.height * k);
  g.globalAlpha = 0.7;
  g.fillStyle = color('--bg-2');
  g.fill('evenodd');
  g.globalAlpha = 1;
  g.strokeStyle = color('--border');
  g.lineWidth = 1;
  g.strokeRect(v.x, v.y, view.width * k, view.height * k);
  return frame;
}

/** The minimap panel, in the bottom-right corner of the canvas. */
export function CanvasMiniMap() {
  const store = useStoreApi<SgNode, SgEdge>();
  const rf = useReactFlow<SgNode, SgEdge>();
  const theme = useApp((s) => s.theme);
  const ref = useRef<HTMLCanvasElement>(null);
  const frame = useRef<MinimapFrame | null>(null);

  // Redraw (at most once a frame) when the nodes, the view, the problems or the theme change.
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    let pending = 0;
    const redraw = () => {
      pending = 0;
      frame.current = draw(canvas, store.getState(), useEditor.getState().problemsByNode);
    };
    const schedule = () => {
      if (!pending) pending = requestAnimationFrame(redraw);
    };
    redraw();
    const offFlow = store.subscribe((s, prev) => {
      if (
        s.nodes !== prev.nodes ||
        s.transform !== prev.transform ||
        s.width !== prev.width ||
        s.height !== prev.height
      )
        schedule();
    });
    const offProblems = useEditor.subscribe((s, prev) => {
      if (s.problemsByNode !== prev.problemsByNode) schedule();
    });
    return () => {
      offFlow();
      offProblems();
      if (pending) cancelAnimationFrame(pending);
    };
  }, [store, theme]);

  // Pointer: drag pans (the view rectangle follows the pointer), a click centres the view.
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    let last: { x: number; y: number } | null = null;
    let moved = false;
    const down = (e: PointerEvent) => {
      if (e.button !== 0) return;
      canvas.setPointerCapture(e.pointerId);
      last = { x: e.clientX, y: e.clientY };
      moved = false;
    };
    const move = (e: PointerEvent) => {
      const f = frame.current;
      if (!last || !f) return;
      const dx = e.clientX - last.x;
      const dy = e.clientY - last.y;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 3) return;
      moved = true;
      last = { x: e.clientX, y: e.clientY };
      const { x, y, zoom } = rf.getViewport();
      rf.setViewport({ x: x - dx * f.scale * zoom, y: y - dy * f.scale * zoom, zoom });
    };
    const up = (e: PointerEvent) => {
      const f = frame.current;
      if (last && !moved && f) {
        const r = canvas.getBoundingClientRect();
        const p = fromMinimap(f, { x: e.clientX - r.left, y: e.clientY - r.top });
        rf.setCenter(p.x, p.y, { zoom: rf.getZoom() });
      }
      last = null;
    };
    const cancel = () => {
      last = null;
    };
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const step = e.deltaMode === 1 ? 0.05 : e.deltaMode ? 1 : 0.002;
      void rf.zoomTo(rf.getZoom() * Math.pow(2, -e.deltaY * step));
    };
    canvas.addEventListener('pointerdown', down);
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', cancel);
    canvas.addEventListener('wheel', wheel, { passive: false });
    return () => {
      canvas.removeEventListener('pointerdown', down);
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', up);
      canvas.removeEventListener('pointercancel', cancel);
      canvas.removeEventListener('wheel', wheel);
    };
  }, [rf]);

  return (
    <Panel position="bottom-right" className="minimap nodrag nopan nowheel">
      <canvas
        ref={ref}
        style={{ width: WIDTH, height: HEIGHT }}
        role="img"
        aria-label="Minimap: drag to pan, click to centre, scroll to zoom"
        data-testid="minimap"
      />
    </Panel>
  );
}
