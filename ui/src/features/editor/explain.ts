// "Why did this trade fire?": a run's version shown read-only with the value on every wire at
// one bar (from `nodeValues`). The pure parts (which bar, how a value reads, which edge shows
// which value) are exported for tests; the store holds what the editor shows.

import { create } from 'zustand';
import { useApp } from '../../common/app';
import { api, toIpcError } from '../../ipc';
import type { NodeValue } from '../../ipc';
import type { NodeSpec, PortType, RunDetail, Trade } from '../../ipc/types';
import { fmtBarTime } from '../../common/format';
import { edgeId, parseGraph, type GraphDoc } from './graph';

/** The bar whose close made the signal: the bar before the entry fill (fills are next-open). */
export function signalBar(trade: Pick<Trade, 'entry_bar'>): number {
  return Math.max(0, trade.entry_bar - 1);
}

/** How a wire's value reads: booleans as true/false, numbers rounded, missing as missing. */
export type WireTone = 'true' | 'false' | 'missing' | 'number';

export interface WireLabel {
  text: string;
  tone: WireTone;
}

/** A number rounded for a label: 2 decimals from 1 up, 4 significant digits below 1. */
export function roundForLabel(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a >= 1) return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return String(Number(v.toPrecision(4)));
}

/** The banner's words for trade `tradeNo`: its side and when it entered and left. */
export function tradeWords(trade: Trade, tradeNo: number): string {
  const exit =
    trade.exit_reason === 'open' ? 'still open' : `exited ${fmtBarTime(trade.exit_time)}`;
  return `trade #${tradeNo} (${trade.side}, entered ${fmtBarTime(trade.entry_time)}, ${exit})`;
}

/** One wire's label from its value (`null` = missing) and the type of the port it leaves. */
export function formatWireValue(value: number | null | undefined, type: PortType): WireLabel {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { text: 'missing', tone: 'missing' };
  }
  if (type === 'bool')
    return value !== 0 ? { text: 'true', tone: 'true' } : { text: 'false', tone: 'false' };
  return { text: roundForLabel(value), tone: 'number' };
}

/** The type of output `port` of the node `nodeId` in `doc` ('number' when unknown). */
export function outputType(
  doc: GraphDoc,
  catalog: readonly NodeSpec[],
  nodeId: string,
  port: string,
): PortType {
  const kind = doc.nodes.find((n) => n.id === nodeId)?.kind;
  const spec = catalog.find((s) => s.kind === kind);
  return spec?.outputs.find((p) => p.name === port)?.type ?? 'number';
}

/** The label of every edge of `doc` (by React Flow edge id) from the values at one bar. */
export function edgeLabels(
  doc: GraphDoc,
  values: readonly NodeValue[],
  catalog: readonly NodeSpec[],
): Record<string, WireLabel> {
  const byPort = new Map(values.map((v) => [`${v.node}\u0000${v.port}`, v.value]));
  const out: Record<string, WireLabel> = {};
  for (const e of doc.edges) {
    const v = byPort.get(`${e.from}\u0000${e.from_port}`);
    out[edgeId(e)] = formatWireValue(v, outputType(doc, catalog, e.from, e.from_port));
  }
  return out;
}

interface ExplainState {
  /** The run whose wires are shown, or null when the editor shows the working graph. */
  run: RunDetail | null;
  /** Which trade (1-based, in the run's order) opened the view, if one did. */
  tradeNo: number | null;
  /** That trade. */
  trade: Trade | null;
  doc: GraphDoc | null;
  /** The signal bar of the trade that opened the view. */
  signal: number;
  bar: number;
  /** The time of `bar` (ms UTC), once its values are in. */
  time: number | null;
  /** Last bar of the run's data, when the dataset is still there. */
  maxBar: number | null;
  labels: Record<string, WireLabel>;
  loading: boolean;
  error: string | null;

  /** Opens the run's version read-only at the signal bar of `trade`. */
  open: (run: RunDetail, trade: Trade, tradeNo: number) => Promise<void>;
  /** Moves to bar `bar` (clamped to the data) and loads its values. */
  setBar: (bar: number) => Promise<void>;
  close: () => void;
}

export const useExplain = create<ExplainState>()((set, get) => ({
  run: null,
  tradeNo: null,
  trade: null,
  doc: null,
  signal: 0,
  bar: 0,
  time: null,
  maxBar: null,
  labels: {},
  loading: false,
  error: null,

  open: async (run, trade, tradeNo) => {
    set({
      run,
      tradeNo,
      trade,
      time: null,
      doc: null,
      signal: signalBar(trade),
      bar: signalBar(trade),
      maxBar: run.dataset ? Math.max(0, run.dataset.bars - 1) : null,
      labels: {},
      error: null,
      loading: true,
    });
    useApp.getState().setView('editor');
    try {
      const v = await api.versionGet(run.strategyId, run.version);
      if (get().run?.id !== run.id) return;
      set({ doc: parseGraph(v.graph) });
    } catch (e) {
      set({ error: toIpcError(e).message, loading: false });
      return;
    }
    await get().setBar(signalBar(trade));
  },

  setBar: async (bar) => {
    const { run, doc, maxBar } = get();
    if (!run || !doc) return;
    const b = Math.max(0, maxBar === null ? bar : Math.min(bar, maxBar));
    set({ bar: b, loading: true, error: null });
    try {
      const at = await api.nodeValues(run.id, b);
      if (get().run?.id !== run.id || get().bar !== b) return;
      set({
        labels: edgeLabels(doc, at.values, useApp.getState().catalog),
        time: at.time,
        loading: false,
      });
    } catch (e) {
      if (get().bar !== b) return;
      set({ labels: {}, time: null, error: toIpcError(e).message, loading: false });
    }
  },

  close: () =>
    set({
      run: null,
      tradeNo: null,
      trade: null,
      time: null,
      doc: null,
      labels: {},
      error: null,
      loading: false,
    }),
}));

// Leaving the editor ends the explanation: coming back shows the working graph again.
useApp.subscribe((s, prev) => {
  if (prev.view === 'editor' && s.view !== 'editor' && useExplain.getState().run) {
    useExplain.getState().close();
  }
});
