// Geometry of the editor's minimap: which part of the flow it shows, and how flow points map to
// minimap pixels and back.

/** A rectangle in flow coordinates. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The flow rectangle shown by a minimap of `w`×`h` pixels, and flow units per pixel. */
export interface MinimapFrame extends Rect {
  scale: number;
}

/** Margin around the content, in minimap pixels. */
const MARGIN_PX = 5;

/** The union of two rectangles. */
export function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/**
 * The frame of a `w`×`h` minimap showing the nodes' bounds (`null` when there are none) and
 * the visible part of the flow: both fit, centred, with the minimap's aspect ratio and a margin.
 */
export function minimapFrame(nodes: Rect | null, view: Rect, w: number, h: number): MinimapFrame {
  const content = nodes ? union(nodes, view) : view;
  const scale =
    Math.max(content.width / (w - 2 * MARGIN_PX), content.height / (h - 2 * MARGIN_PX)) || 1;
  const width = w * scale;
  const height = h * scale;
  return {
    x: content.x - (width - content.width) / 2,
    y: content.y - (height - content.height) / 2,
    width,
    height,
    scale,
  };
}

/** Minimap pixel of a flow point. */
export function toMinimap(f: MinimapFrame, p: { x: number; y: number }): { x: number; y: number } {
  return { x: (p.x - f.x) / f.scale, y: (p.y - f.y) / f.scale };
}

/** Flow point under a minimap pixel. */
export function fromMinimap(
  f: MinimapFrame,
  p: { x: number; y: number },
): { x: number; y: number } {
  return { x: f.x + p.x * f.scale, y: f.y + p.y * f.scale };
}
