import { beforeEach, describe, expect, it, vi } from 'vitest';

const backend = vi.hoisted(() => ({
  bars: [] as number[],
  values: (bar: number) => [
    { node: 'close', port: 'out', value: 101.23456 + bar },
    { node: 'fast', port: 'out', value: 0.000123456 },
    { node: 'up', port: 'out', value: bar === 9 ? 1 : 0 },
  ],
}));

vi.mock('../../ipc', () => ({
  api: {
    versionGet: async () => ({ graph: doc }),
    nodeValues: async (_run: string, bar: number) => {
      backend.bars.push(bar);
      return { bar, time: Date.UTC(2024, 0, 1) + bar * 86_400_000, values: backend.values(bar) };
    },
  },
  toIpcError: (e: unknown) => e,
  dialogs: {},
}));

const doc = {
  schema: 1,
  nodes: [
    { id: 'close', kind: 'source.close', params: {} },
    { id: 'fast', kind: 'indicator.sma', params: { period: 3 } },
    { id: 'up', kind: 'signal.cross_above', params: {} },
    { id: 'buy', kind: 'order.enter_long', params: {} },
  ],
  edges: [
    { from: 'close', from_port: 'out', to: 'fast', to_port: 'in' },
    { from: 'fast', from_port: 'out', to: 'up', to_port: 'a' },
    { from: 'close', from_port: 'out', to: 'up', to_port: 'b' },
    { from: 'up', from_port: 'out', to: 'buy', to_port: 'when' },
    { from: 'gone', from_port: 'out', to: 'buy', to_port: 'x' },
  ],
  parameters: [],
  settings: { initial_cash: 10000, commission: 0, slippage_bps: 0, fractional: false },
};

const catalog = [
  { kind: 'source.close', outputs: [{ name: 'out', type: 'number' }] },
  { kind: 'indicator.sma', outputs: [{ name: 'out', type: 'number' }] },
  { kind: 'signal.cross_above', outputs: [{ name: 'out', type: 'bool' }] },
  { kind: 'order.enter_long', outputs: [] },
].map((s) => ({ ...s, category: 'source', label: s.kind, help: '', inputs: [], params: [] }));

const { edgeLabels, formatWireValue, roundForLabel, signalBar, tradeWords, useExplain } =
  await import('./explain');
const { useApp } = await import('../../common/app');
const { parseGraph } = await import('./graph');

beforeEach(() => {
  backend.bars = [];
  useApp.setState({ catalog: catalog as never, view: 'runs' });
  useExplain.getState().close();
});

describe('wire values', () => {
  it('the signal bar is the bar before the entry fill', () => {
    expect(signalBar({ entry_bar: 10 })).toBe(9);
    expect(signalBar({ entry_bar: 0 })).toBe(0);
  });

  it('booleans read true/false, missing values missing, numbers rounded', () => {
    expect(formatWireValue(1, 'bool')).toEqual({ text: 'true', tone: 'true' });
    expect(formatWireValue(0, 'bool')).toEqual({ text: 'false', tone: 'false' });
    expect(formatWireValue(null, 'bool')).toEqual({ text: 'missing', tone: 'missing' });
    expect(formatWireValue(Number.NaN, 'number').text).toBe('missing');
    expect(formatWireValue(undefined, 'number').text).toBe('missing');
    expect(formatWireValue(101.23456, 'number')).toEqual({ text: '101.23', tone: 'number' });
    expect(roundForLabel(12345.678)).toBe('12,345.68');
    expect(roundForLabel(20)).toBe('20');
    expect(roundForLabel(-0.000123456)).toBe('-0.0001235');
    expect(roundForLabel(0.5)).toBe('0.5');
  });

  it('labels every edge by the value and type of the port it leaves', () => {
    const labels = edgeLabels(parseGraph(doc), backend.values(9), catalog as never);
    expect(labels['close:out->fast:in']).toEqual({ text: '110.23', tone: 'number' });
    expect(labels['close:out->up:b']?.text).toBe('110.23');
    expect(labels['fast:out->up:a']?.text).toBe('0.0001235');
    expect(labels['up:out->buy:when']).toEqual({ text: 'true', tone: 'true' });
    expect(labels['gone:out->buy:x']?.text).toBe('missing');
  });
});

describe('explain store', () => {
  const run = {
    id: 'r1',
    strategyId: 's1',
    version: 2,
    dataset: { bars: 11 },
  } as never;

  it('opens the editor at the signal bar and steps within the data', async () => {
    await useExplain.getState().open(run, { entry_bar: 10 } as never, 3);
    const s = useExplain.getState();
    expect(useApp.getState().view).toBe('editor');
    expect(s.bar).toBe(9);
    expect(s.tradeNo).toBe(3);
    expect(s.labels['up:out->buy:when']?.text).toBe('true');
    // The bar's time comes with its values.
    expect(s.time).toBe(Date.UTC(2024, 0, 10));
    await useExplain.getState().setBar(10);
    expect(useExplain.getState().labels['up:out->buy:when']?.text).toBe('false');
    expect(useExplain.getState().time).toBe(Date.UTC(2024, 0, 11));
    await useExplain.getState().setBar(11);
    expect(useExplain.getState().bar).toBe(10);
    expect(backend.bars).toEqual([9, 10, 10]);
  });

  it('names the trade by its dates', () => {
    const t = {
      side: 'long',
      entry_time: Date.UTC(2024, 0, 10),
      exit_time: Date.UTC(2024, 1, 2),
      exit_reason: 'signal',
    } as never;
    expect(tradeWords(t, 3)).toBe('trade #3 (long, entered 2024-01-10, exited 2024-02-02)');
    const open = { side: 'short', entry_time: Date.UTC(2024, 0, 10, 9, 30), exit_reason: 'open' };
    expect(tradeWords(open as never, 1)).toBe(
      'trade #1 (short, entered 2024-01-10 09:30 UTC, still open)',
    );
  });

  it('leaving the editor ends the explanation', async () => {
    await useExplain.getState().open(run, { entry_bar: 5 } as never, 1);
    expect(useExplain.getState().run).not.toBeNull();
    useApp.getState().setView('runs');
    expect(useExplain.getState().run).toBeNull();
  });
});
