// Keeping the graph in view when the canvas changes height (the Problems list opening under
// it, the window resized): the part of the graph that was visible stays visible.

/** React Flow's viewport: screen = world × zoom + (x, y). */
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * The viewport after the canvas went from `oldH` to `newH` pixels high (`width` wide): the
 * zoom scales with the height, the world point at the top centre stays put, so everything
 * visible before is visible after, and the reverse change restores the viewport exactly.
 */
export function keepInView(v: Viewport, width: number, oldH: number, newH: number): Viewport {
  if (!(oldH > 0) || !(newH > 0) || oldH === newH) return v;
  const f = newH / oldH;
  const zoom = v.zoom * f;
  const cx = (width / 2 - v.x) / v.zoom;
  return { x: width / 2 - cx * zoom, y: v.y * f, zoom };
}
