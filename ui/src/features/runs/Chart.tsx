// A chart rendered by the backend (`runChart`) shown as an <img>, with zoom to a date range,
// PNG/SVG export, a crosshair that reads out the bar under the mouse and tooltips on the
// trade markers.

import { useEffect, useRef, useState } from 'react';
import { pickPath, useApp } from '../../common/app';
import { api, dialogs, toIpcError } from '../../ipc';
import type { ChartKind, ChartMarker, ChartView } from '../../ipc/types';
import { fmtNum } from '../../common/format';
import { svgDataUrl } from '../../common/svg';
import {
  columnAt,
  inPlot,
  markerTip,
  project,
  readout,
  toPicture,
  valueAt,
  type Px,
} from './crosshair';

export interface Range {
  from?: number;
  to?: number;
}

function toInput(ms?: number): string {
  return ms === undefined ? '' : new Date(ms).toISOString().slice(0, 10);
}

function fromInput(s: string): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isNaN(t) ? undefined : t;
}

export function Chart({
  runId,
  kind,
  title,
  height = 260,
  range,
  onRange,
  dataRange,
  wait = false,
  onDone,
  compact = false,
  shownMark,
  indicators,
  series,
}: {
  runId: string;
  kind: ChartKind;
  title: string;
  height?: number;
  range?: Range;
  onRange?: (r: Range) => void;
  /** The data's first and last time: the date boxes show them until a zoom is set. */
  dataRange?: Range;
  /** Hold the request (another chart goes first: the backend has two cores to share). */
  wait?: boolean;
  /** Called once the first image (or error) is in. */
  onDone?: () => void;
  /** Just the image: no title, zoom or export bar. */
  compact?: boolean;
  /** A `performance` mark set when an image is on screen (read by the end-to-end timings). */
  shownMark?: string;
  /** Node outputs (`node.port`) drawn over the prices (`price`). */
  indicators?: string[];
  /** The node output an `indicator` pane draws. */
  series?: string;
}) {
  const done = useRef(onDone);
  done.current = onDone;
  const box = useRef<HTMLDivElement>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [view, setView] = useState<ChartView | null>(null);
  const overlayKey = (indicators ?? []).join(',');
  const [error, setError] = useState<string | null>(null);
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      const w = Math.round(entry?.contentRect.width ?? 900);
      setWidth((old) => (Math.abs(old - w) > 40 ? w : old));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    if (wait) return;
    let live = true;
    api
      .runChart({
        runId,
        kind,
        from: range?.from,
        to: range?.to,
        width: Math.max(compact ? 160 : 320, width),
        height,
        indicators: overlayKey ? overlayKey.split(',') : undefined,
        series,
      })
      .then((v) => {
        if (!live) return;
        const u = svgDataUrl(v.svg);
        setUrl(u);
        setView(v);
        setError(u ? null : 'The chart could not be shown.');
        done.current?.();
      })
      .catch((e: unknown) => {
        if (!live) return;
        setUrl(null);
        setView(null);
        setError(toIpcError(e).message);
        done.current?.();
      });
    return () => {
      live = false;
    };
  }, [runId, kind, range?.from, range?.to, width, height, wait, compact, overlayKey, series]);

  const exportAs = async (format: 'png' | 'svg') => {
    const path = await pickPath(() =>
      dialogs.saveFile(`Export ${title}`, `${kind}.${format}`, [format]),
    );
    if (!path) return;
    try {
      await api.chartExport({
        runId,
        kind,
        format,
        path,
        from: range?.from,
        to: range?.to,
        indicators,
        series,
      });
      useApp.getState().notify(`Exported ${path}`);
    } catch (e) {
      useApp.getState().fail(e);
    }
  };

  return (
    <div
      className={compact ? 'chart compact' : 'chart'}
      data-testid={`chart-${kind}`}
      data-run-id={runId}
      data-series={series}
    >
      {!compact && (
        <div className="bar">
          <b className="grow">{title}</b>
          {onRange && (
            <>
              <input
                className="input"
                type="date"
                value={toInput(range?.from ?? dataRange?.from)}
                min={toInput(dataRange?.from)}
                max={toInput(dataRange?.to)}
                onChange={(e) => onRange({ ...range, from: fromInput(e.target.value) })}
                title="From"
              />
              <span className="muted">→</span>
              <input
                className="input"
                type="date"
                value={toInput(range?.to ?? dataRange?.to)}
                min={toInput(dataRange?.from)}
                max={toInput(dataRange?.to)}
                onChange={(e) => onRange({ ...range, to: fromInput(e.target.value) })}
                title="To"
              />
              <button
                className="btn small"
                disabled={!range?.from && !range?.to}
                onClick={() => onRange({})}
              >
                Reset zoom
              </button>
            </>
          )}
          <button className="btn small" onClick={() => void exportAs('png')}>
            PNG
          </button>
          <button className="btn small" onClick={() => void exportAs('svg')}>
            SVG
          </button>
        </div>
      )}
      <div ref={box} style={{ minHeight: height }}>
        {url ? (
          <div className="chart-frame">
            <img
              src={url}
              alt={title}
              data-testid={`chart-img-${kind}`}
              onLoad={shownMark ? () => performance.mark(shownMark) : undefined}
            />
            {view && !compact && <Crosshair view={view} />}
          </div>
        ) : (
          <div className="muted" style={{ padding: 20 }}>
            {error ?? 'Rendering…'}
          </div>
        )}
      </div>
    </div>
  );
}

/** The layer over a chart: a crosshair with the bar's values, and a target on each trade
 * marker that shows the trade in a tooltip. */
function Crosshair({ view }: { view: ChartView }) {
  const layer = useRef<SVGSVGElement>(null);
  const [at, setAt] = useState<Px | null>(null);
  const [tip, setTip] = useState<ChartMarker | null>(null);
  const f = view.frame;
  const move = (e: React.MouseEvent) => {
    const r = layer.current?.getBoundingClientRect();
    if (!r) return;
    const p = toPicture(f, r, e.clientX, e.clientY);
    setAt(inPlot(f, p) ? p : null);
  };
  const col = at ? columnAt(view, at.x) : null;
  const read = col !== null ? readout(view, col) : null;
  const tipAt = tip ? project(f, tip.t, tip.price) : null;
  return (
    <>
      <svg
        ref={layer}
        className="chart-layer"
        viewBox={`0 0 ${f.width} ${f.height}`}
        preserveAspectRatio="none"
        onMouseMove={move}
        onMouseLeave={() => setAt(null)}
        data-testid="chart-layer"
      >
        <rect
          x={f.left}
          y={f.top}
          width={Math.max(0, f.right - f.left)}
          height={Math.max(0, f.bottom - f.top)}
          fill="transparent"
        />
        {at && (
          <g className="crosshair" data-testid="crosshair">
            <line x1={at.x} x2={at.x} y1={f.top} y2={f.bottom} />
            <line x1={f.left} x2={f.right} y1={at.y} y2={at.y} />
          </g>
        )}
        {view.markers.map((m, i) => {
          const p = project(f, m.t, m.price);
          return (
            <circle
              key={i}
              cx={p.x}
              cy={p.y}
              r={8}
              className="marker-hit"
              data-testid="trade-marker"
              data-trade={m.trade}
              data-at={m.at}
              onMouseEnter={() => setTip(m)}
              onMouseLeave={() => setTip((t) => (t === m ? null : t))}
              onClick={() => setTip(m)}
            />
          );
        })}
      </svg>
      {read && at && (
        <div className="chart-readout" data-testid="crosshair-readout">
          <b data-testid="crosshair-time">{read.time}</b>
          {read.rows.map(([k, v]) => (
            <span key={k}>
              <span className="muted">{k}</span> {v}
            </span>
          ))}
          <span className="muted" data-testid="crosshair-value">
            y {fmtNum(valueAt(f, at.y))}
          </span>
        </div>
      )}
      {tip && tipAt && (
        <div
          className="chart-tip"
          style={{
            left: `${(tipAt.x / f.width) * 100}%`,
            top: `${(tipAt.y / f.height) * 100}%`,
          }}
          data-testid="trade-tip"
        >
          {markerTip(tip).map((line, i) => (
            <div key={i} className={i === 3 ? (tip.pnl >= 0 ? 'pos' : 'neg') : undefined}>
              {line}
            </div>
          ))}
        </div>
      )}
      {view.markersOmitted > 0 && (
        <div className="chart-note muted" data-testid="markers-omitted">
          {view.markersOmitted} trade markers in view: zoom in to point at them.
        </div>
      )}
    </>
  );
}
