// A small line chart's points: (x, y) pairs scaled into a width × height box, for an SVG
// polyline (time left to right, the highest value at the top).

/** The polyline `points` of `series` ([x, y] pairs) in a `width` × `height` box; `null` for
 * fewer than two finite points. */
export function sparkline(
  series: readonly (readonly [number, number])[],
  width: number,
  height: number,
): string | null {
  const pts = series.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length < 2) return null;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = x1 > x0 ? width / (x1 - x0) : 0;
  const sy = y1 > y0 ? height / (y1 - y0) : 0;
  return pts
    .map(([x, y]) => {
      const px = sx ? (x - x0) * sx : width / 2;
      const py = sy ? height - (y - y0) * sy : height / 2;
      return `${px.toFixed(1)},${py.toFixed(1)}`;
    })
    .join(' ');
}
