// A chart rendered by the backend (`runChart`) shown as an <img>, with zoom to a date range
// and PNG/SVG export.

import { useEffect, useRef, useState } from 'react';
import { pickPath, useApp } from '../../shared/app';
import { api, dialogs, toIpcError } from '../../ipc';
import type { ChartKind } from '../../ipc/types';
import { svgDataUrl } from '../../shared/svg';

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
}) {
  const done = useRef(onDone);
  done.current = onDone;
  const box = useRef<HTMLDivElement>(null);
  const [url, setUrl] = useState<string | null>(null);
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
      })
      .then((svg) => {
        if (!live) return;
        const u = svgDataUrl(svg);
        setUrl(u);
        setError(u ? null : 'The chart could not be shown.');
        done.current?.();
      })
      .catch((e: unknown) => {
        if (!live) return;
        setUrl(null);
        setError(toIpcError(e).message);
        done.current?.();
      });
    return () => {
      live = false;
    };
  }, [runId, kind, range?.from, range?.to, width, height, wait, compact]);

  const exportAs = async (format: 'png' | 'svg') => {
    const path = await pickPath(() =>
      dialogs.saveFile(`Export ${title}`, `${kind}.${format}`, [format]),
    );
    if (!path) return;
    try {
      await api.chartExport({ runId, kind, format, path, from: range?.from, to: range?.to });
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
          <img
            src={url}
            alt={title}
            data-testid={`chart-img-${kind}`}
            onLoad={shownMark ? () => performance.mark(shownMark) : undefined}
          />
        ) : (
          <div className="muted" style={{ padding: 20 }}>
            {error ?? 'Rendering…'}
          </div>
        )}
      </div>
    </div>
  );
}
