// The strategy's node outputs on the price chart: which ones are drawn over the prices and
// which in panes below (each pane with the levels the strategy compares it with), chosen
// per output; the backend suggests the place from the values (price units or not).

import { useEffect, useState } from 'react';
import { api, toIpcError } from '../../ipc';
import type { IndicatorInfo } from '../../ipc/types';
import { layoutIndicators, placementOf, type Placement } from './crosshair';

/** The run's drawable outputs and the user's placement of each. */
export function useIndicators(runId: string) {
  const [list, setList] = useState<IndicatorInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Record<string, Placement>>({});
  useEffect(() => {
    let live = true;
    setList([]);
    setError(null);
    setChosen({});
    api
      .runIndicators(runId)
      .then((l) => live && setList(l))
      .catch((e: unknown) => live && setError(toIpcError(e).message));
    return () => {
      live = false;
    };
  }, [runId]);
  const layout = layoutIndicators(list, chosen);
  const place = (key: string, p: Placement) => setChosen((c) => ({ ...c, [key]: p }));
  return { list, error, chosen, layout, place };
}

/** One select per output: over the prices, in a pane, or hidden. */
export function IndicatorPicker({
  list,
  chosen,
  error,
  onPlace,
}: {
  list: IndicatorInfo[];
  chosen: Record<string, Placement>;
  error: string | null;
  onPlace: (key: string, p: Placement) => void;
}) {
  if (error) {
    return (
      <div className="muted" style={{ fontSize: 12 }} data-testid="indicators-error">
        Indicators: {error}
      </div>
    );
  }
  if (!list.length) return null;
  return (
    <div
      className="row"
      style={{ gap: 10, fontSize: 12, flexWrap: 'wrap' }}
      data-testid="indicator-picker"
    >
      <span className="muted">Indicators</span>
      {list.map((i) => (
        <label key={i.key} className="row" style={{ gap: 4 }} title={i.kind}>
          <span>{i.label}</span>
          <select
            className="input"
            value={placementOf(i, chosen)}
            onChange={(e) => onPlace(i.key, e.target.value as Placement)}
            data-testid="indicator-place"
            data-key={i.key}
          >
            <option value="overlay">over price</option>
            <option value="pane">pane below</option>
            <option value="off">hidden</option>
          </select>
        </label>
      ))}
    </div>
  );
}
