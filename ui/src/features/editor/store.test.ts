import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import specs from '../../fixtures/catalog.json';
import sma from '../../fixtures/sma_crossover.json';
import type { NodeSpec, Problem } from '../../ipc/types';
import { parseGraph } from './graph';
import { useEditor, VALIDATE_DEBOUNCE_MS } from './store';

const st = () => useEditor.getState();
const doc = () => parseGraph(structuredClone(sma));

beforeEach(() => {
  st().setValidator(null);
  st().setCatalog(specs as NodeSpec[]);
  st().load(doc());
});

afterEach(() => vi.useRealTimers());

describe('editor store', () => {
  it('keeps lesson notes and comment frames in the document, undoably', () => {
    st().setNote('fast', 'The fast average');
    expect(
      st()
        .getDoc()
        .nodes.find((n) => n.id === 'fast')?.note,
    ).toBe('The fast average');
    st().setComments([{ id: 'c1', text: 'Step 1', x: 0, y: -100 }]);
    expect(st().getDoc().comments).toEqual([{ id: 'c1', text: 'Step 1', x: 0, y: -100 }]);
    st().setComments([]);
    expect('comments' in st().getDoc()).toBe(false);
    st().setNote('fast', '  ');
    expect(
      'note' in
        (st()
          .getDoc()
          .nodes.find((n) => n.id === 'fast') ?? {}),
    ).toBe(false);
    st().undo();
    st().undo();
    st().undo();
    st().undo();
    expect(st().getDoc()).toEqual(sma);
  });

  it('loads a document and gives it back unchanged and clean', () => {
    expect(st().getDoc()).toEqual(sma);
    expect(st().isDirty()).toBe(false);
  });

  it('undoes and redoes adding a node, back to a clean state', () => {
    const id = st().addNode('indicator.ema', { x: 10, y: 10 });
    expect(id).toBe('ema');
    expect(st().isDirty()).toBe(true);
    expect(st().getDoc().nodes.at(-1)).toEqual({
      id: 'ema',
      kind: 'indicator.ema',
      params: { period: 20 },
      ui: { x: 10, y: 10 },
    });
    st().undo();
    expect(st().getDoc()).toEqual(sma);
    expect(st().isDirty()).toBe(false);
    st().redo();
    expect(st().getDoc().nodes).toHaveLength(8);
    st().undo();
    st().undo(); // nothing more to undo
    expect(st().getDoc()).toEqual(sma);
  });

  it('makes one undo step of a whole drag', () => {
    const moves = [1, 2, 3, 4, 5].map((i) => ({
      type: 'position' as const,
      id: 'fast',
      position: { x: 220 + i * 10, y: 40 },
      dragging: true,
    }));
    for (const m of moves) st().onNodesChange([m]);
    st().onNodesChange([{ type: 'position', id: 'fast', dragging: false }]);
    expect(st().getDoc().nodes[1]!.ui).toEqual({ x: 270, y: 40 });
    expect(st().past).toHaveLength(1);
    st().undo();
    expect(st().getDoc().nodes[1]!.ui).toEqual({ x: 220, y: 40 });
  });

  it('coalesces quick edits of one param into one undo step', () => {
    st().setParam('slow', 'period', 3);
    st().setParam('slow', 'period', 30);
    st().setParam('fast', 'period', 5);
    expect(st().past).toHaveLength(2);
    st().undo();
    st().undo();
    expect(st().getDoc()).toEqual(sma);
  });

  it('refuses bad connections and replaces the feed of an input', () => {
    expect(
      st().isValidConnection({
        source: 'close',
        sourceHandle: 'out',
        target: 'buy',
        targetHandle: 'when',
      }),
    ).toBe(false);
    expect(st().connectionHint).toMatch(/number output cannot feed a bool input/);
    expect(
      st().isValidConnection({
        source: 'golden_cross',
        sourceHandle: 'out',
        target: 'fast',
        targetHandle: 'in',
      }),
    ).toBe(false);
    st().onConnect({
      source: 'slow',
      sourceHandle: 'out',
      target: 'golden_cross',
      targetHandle: 'a',
    });
    const into = st()
      .getDoc()
      .edges.filter((e) => e.to === 'golden_cross' && e.to_port === 'a');
    expect(into).toEqual([{ from: 'slow', from_port: 'out', to: 'golden_cross', to_port: 'a' }]);
  });

  it('deletes the selection with its edges in one step', () => {
    st().selectNodes(['fast']);
    st().deleteSelection();
    const d = st().getDoc();
    expect(d.nodes.map((n) => n.id)).not.toContain('fast');
    expect(d.edges.some((e) => e.from === 'fast' || e.to === 'fast')).toBe(false);
    st().undo();
    expect(st().getDoc()).toEqual(sma);
  });

  it('copies, pastes and duplicates with fresh ids and inner edges', () => {
    st().selectNodes(['close', 'fast']);
    st().copySelection();
    st().paste();
    const d = st().getDoc();
    expect(d.nodes.map((n) => n.id).slice(-2)).toEqual(['close_2', 'fast_2']);
    expect(d.edges.at(-1)).toEqual({
      from: 'close_2',
      from_port: 'out',
      to: 'fast_2',
      to_port: 'in',
    });
    expect(d.nodes.at(-1)!.ui).toEqual({ x: 260, y: 80 });
    expect(st().selection).toEqual(['close_2', 'fast_2']);
    st().duplicateSelection();
    expect(
      st()
        .getDoc()
        .nodes.map((n) => n.id)
        .slice(-2),
    ).toEqual(['close_3', 'fast_3']);
  });

  it('edits parameters and settings, keeping them on undo', () => {
    st().setSettings({ commission: 0.002 });
    st().setParameters([...doc().parameters, { name: 'len', type: 'int', default: 3 }]);
    expect(st().getDoc().settings.commission).toBe(0.002);
    expect(st().getDoc().parameters).toHaveLength(3);
    st().undo();
    st().undo();
    expect(st().getDoc()).toEqual(sma);
  });

  it('lays the graph out left to right', () => {
    st().tidy();
    const d = st().getDoc();
    const x = (id: string) => d.nodes.find((n) => n.id === id)!.ui!.x;
    expect(x('close')).toBeLessThan(x('fast'));
    expect(x('fast')).toBeLessThan(x('golden_cross'));
    expect(x('golden_cross')).toBeLessThan(x('buy'));
  });

  it('validates debounced through the injected validator and groups problems by node', async () => {
    vi.useFakeTimers();
    const problems: Problem[] = [
      { code: 'dangling_input', node: 'ema', port: 'in', message: 'input "in" has no edge' },
    ];
    const validator = vi.fn(async () => problems);
    st().setValidator(validator);
    st().addNode('indicator.ema');
    st().setParam('ema', 'period', 5);
    expect(validator).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS + 10);
    expect(validator).toHaveBeenCalledTimes(1);
    expect(st().problemsByNode.ema).toEqual({
      messages: ['input "in" has no edge'],
      ports: ['in'],
      params: [],
    });
  });

  it('handles a 500-node graph quickly', () => {
    const big = parseGraph({ schema: 1, nodes: [], edges: [] });
    for (let i = 0; i < 500; i++) {
      big.nodes.push({
        id: `n${i}`,
        kind: i % 2 ? 'indicator.sma' : 'source.close',
        params: i % 2 ? { period: 5 } : {},
        ui: { x: i * 10, y: 0 },
      });
      if (i % 2)
        big.edges.push({ from: `n${i - 1}`, from_port: 'out', to: `n${i}`, to_port: 'in' });
    }
    st().load(big);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) st().addNode('indicator.ema');
    const before = st().nodes[3];
    st().undo();
    expect(st().nodes[3]).toBe(before); // unchanged nodes keep their identity
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
