// Catalog helpers: lookup by kind, port compatibility, default params and cycle checks,
// all derived from the backend's catalog so nothing about node kinds is written twice.

import type { Category, NodeSpec, ParamValue, PortType } from '../../ipc/types';

export type Catalog = Map<string, NodeSpec>;

export const CATEGORY_ORDER: Category[] = [
  'source',
  'timeframe',
  'indicator',
  'pattern',
  'math',
  'compare',
  'signal',
  'logic',
  'time',
  'position',
  'order',
  'risk',
];

/** Palette heading of each group. */
export const CATEGORY_TITLE: Record<Category, string> = {
  source: 'Sources',
  timeframe: 'Higher timeframe',
  indicator: 'Indicators',
  pattern: 'Candlestick patterns',
  math: 'Math',
  compare: 'Compare',
  signal: 'Signals',
  logic: 'Logic',
  time: 'Time filters',
  position: 'Position state',
  order: 'Orders',
  risk: 'Risk exits',
};

export function indexCatalog(specs: NodeSpec[]): Catalog {
  return new Map(specs.map((s) => [s.kind, s]));
}

/** Mirrors the engine's `PortType::feeds`: equal types, or a scalar into a number input. */
export function portFeeds(output: PortType, input: PortType): boolean {
  return output === input || (output === 'scalar' && input === 'number');
}

export function outputType(catalog: Catalog, kind: string, port: string): PortType | undefined {
  return catalog.get(kind)?.outputs.find((p) => p.name === port)?.type;
}

export function inputType(catalog: Catalog, kind: string, port: string): PortType | undefined {
  return catalog.get(kind)?.inputs.find((p) => p.name === port)?.type;
}

/** The params a freshly added node of `spec` starts with (every param's default). */
export function defaultParams(spec: NodeSpec): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of spec.params) {
    if (p.default !== null && p.default !== undefined && p.default !== '') {
      out[p.name] = structuredClone(p.default) as ParamValue;
    }
  }
  return out;
}

/** True when a path already leads from `from` to `to` along `edges` (so `to → from` would close a cycle). */
export function reaches(
  edges: readonly { source: string; target: string }[],
  from: string,
  to: string,
): boolean {
  if (from === to) return true;
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const list = out.get(e.source);
    if (list) list.push(e.target);
    else out.set(e.source, [e.target]);
  }
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length) {
    const n = stack.pop() as string;
    for (const m of out.get(n) ?? []) {
      if (m === to) return true;
      if (!seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
    }
  }
  return false;
}

export type ConnectionVerdict = { ok: true } | { ok: false; reason: string };

/**
 * The instant check behind `isValidConnection`: output → input, compatible types, no cycle,
 * no self loop. An input that is already fed is replaced on connect, so it is allowed here.
 * The backend validator stays authoritative.
 */
export function checkConnection(
  catalog: Catalog,
  kindOf: (id: string) => string | undefined,
  edges: readonly { source: string; target: string }[],
  c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null },
): ConnectionVerdict {
  if (c.source === c.target) return { ok: false, reason: 'A node cannot feed itself' };
  const sk = kindOf(c.source);
  const tk = kindOf(c.target);
  if (!sk || !tk) return { ok: false, reason: 'Unknown node' };
  const ot = outputType(catalog, sk, c.sourceHandle ?? '');
  const it = inputType(catalog, tk, c.targetHandle ?? '');
  if (!ot || !it) return { ok: false, reason: 'Connect an output to an input' };
  if (!portFeeds(ot, it)) return { ok: false, reason: `A ${ot} output cannot feed a ${it} input` };
  if (reaches(edges, c.target, c.source)) return { ok: false, reason: 'That would make a cycle' };
  return { ok: true };
}

/** The backend's catalog as the editor's tagged param union (an enum always has `values`). */
export function normalizeCatalog(
  specs: readonly (Omit<NodeSpec, 'params'> & {
    params: readonly { type: string; values?: string[] }[];
  })[],
): NodeSpec[] {
  return specs.map((s) => ({
    ...s,
    params: s.params.map((p) => (p.type === 'enum' ? { ...p, values: p.values ?? [] } : p)),
  })) as NodeSpec[];
}
