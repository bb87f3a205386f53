//! A small SVG line chart drawn in the UI from a run's `equity` points, used while the
//! backend's chart renderer (`runChart`) answers `not_available`.

export interface Series {
  name: string;
  color: string;
  points: readonly { t: number; v: number }[];
}

export interface LineChartOptions {
  width: number;
  height: number;
  /** Values are percentages (axis labels get a % sign). */
  percent?: boolean;
  from?: number;
  to?: number;
  /** Fill the area between the line and zero (drawdown). */
  area?: boolean;
}

function esc(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
  );
}

function niceTicks(min: number, max: number, n = 5): number[] {
  const span = max - min || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step)
    out.push(Number(v.toFixed(10)));
  return out;
}

/** Drawdown in percent below the running peak, per point. */
export function drawdownOf(
  points: readonly { t: number; v: number }[],
): { t: number; v: number }[] {
  let peak = -Infinity;
  return points.map((p) => {
    peak = Math.max(peak, p.v);
    return { t: p.t, v: peak > 0 ? (p.v / peak - 1) * 100 : 0 };
  });
}

export function lineChartSvg(series: readonly Series[], o: LineChartOptions): string {
  const W = Math.max(200, Math.round(o.width));
  const H = Math.max(100, Math.round(o.height));
  const padL = 62;
  const padR = 12;
  const padT = 10;
  const padB = 24;
  const visible = series.map((s) => ({
    ...s,
    points: s.points.filter(
      (p) =>
        Number.isFinite(p.v) &&
        (o.from === undefined || p.t >= o.from) &&
        (o.to === undefined || p.t <= o.to),
    ),
  }));
  const all = visible.flatMap((s) => s.points);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif" font-size="11">`;
  if (all.length < 2) {
    return `${head}<rect width="100%" height="100%" fill="#fff"/><text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#777">No data in this range</text></svg>`;
  }
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  let v0 = Math.min(...all.map((p) => p.v));
  let v1 = Math.max(...all.map((p) => p.v));
  if (o.area) v1 = Math.max(v1, 0);
  if (v0 === v1) {
    v0 -= 1;
    v1 += 1;
  }
  const x = (t: number) => padL + ((t - t0) / (t1 - t0 || 1)) * (W - padL - padR);
  const y = (v: number) => padT + (1 - (v - v0) / (v1 - v0)) * (H - padT - padB);
  const parts: string[] = [head, '<rect width="100%" height="100%" fill="#fff"/>'];
  for (const tv of niceTicks(v0, v1)) {
    parts.push(
      `<line x1="${padL}" x2="${W - padR}" y1="${y(tv).toFixed(1)}" y2="${y(tv).toFixed(1)}" stroke="#e6e8ec"/>`,
      `<text x="${padL - 6}" y="${(y(tv) + 4).toFixed(1)}" text-anchor="end" fill="#666">${tv.toLocaleString('en-US', { maximumFractionDigits: 2 })}${o.percent ? '%' : ''}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${H - 6}" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}" fill="#666">${new Date(t).toISOString().slice(0, 10)}</text>`,
    );
  }
  for (const s of visible) {
    if (s.points.length < 2) continue;
    const d = s.points
      .map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
      .join('');
    if (o.area) {
      const first = s.points[0]!;
      const last = s.points[s.points.length - 1]!;
      parts.push(
        `<path d="${d}L${x(last.t).toFixed(1)},${y(0).toFixed(1)}L${x(first.t).toFixed(1)},${y(0).toFixed(1)}Z" fill="${s.color}" fill-opacity="0.18"/>`,
      );
    }
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
  }
  if (visible.length > 1) {
    visible.forEach((s, i) => {
      parts.push(
        `<rect x="${padL + 8 + i * 150}" y="${padT + 4}" width="10" height="10" fill="${s.color}"/>`,
        `<text x="${padL + 22 + i * 150}" y="${padT + 13}" fill="#333">${esc(s.name)}</text>`,
      );
    });
  }
  parts.push('</svg>');
  return parts.join('');
}
