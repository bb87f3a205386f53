// The strategy graph document (`graph_json`) as the UI reads it: its types, the id of an
// edge and a tolerant reader. Features share it (the editor draws it, results compare it).

import type { ParamValue } from '../ipc/types';

export interface GraphNode {
  id: string;
  kind: string;
  params: Record<string, ParamValue>;
  ui?: { x: number; y: number; [key: string]: unknown };
  [key: string]: unknown;
}

export interface GraphEdge {
  from: string;
  from_port: string;
  to: string;
  to_port: string;
  [key: string]: unknown;
}

export interface ParamDecl {
  name: string;
  type: 'int' | 'float';
  default: number;
  min?: number;
  max?: number;
  [key: string]: unknown;
}

export interface GraphSettings {
  initial_cash: number;
  commission: number;
  slippage_bps: number;
  fractional: boolean;
  [key: string]: unknown;
}

/** Everything of the document that is not nodes or edges (parameters, settings, unknown keys). */
export interface GraphMeta {
  schema: number;
  parameters: ParamDecl[];
  settings: GraphSettings;
  [key: string]: unknown;
}

export interface GraphDoc extends GraphMeta {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const DEFAULT_SETTINGS: GraphSettings = {
  initial_cash: 10000,
  commission: 0,
  slippage_bps: 0,
  fractional: false,
};

export function emptyGraph(): GraphDoc {
  return { schema: 1, nodes: [], edges: [], parameters: [], settings: { ...DEFAULT_SETTINGS } };
}

export function edgeId(e: {
  from: string;
  from_port: string;
  to: string;
  to_port: string;
}): string {
  return `${e.from}:${e.from_port}->${e.to}:${e.to_port}`;
}

/** Reads an unknown JSON value as a graph document, filling the fields the editor needs. */
export function parseGraph(json: unknown): GraphDoc {
  const base =
    json && typeof json === 'object' && !Array.isArray(json) ? (json as GraphDoc) : emptyGraph();
  return {
    ...base,
    schema: typeof base.schema === 'number' ? base.schema : 1,
    nodes: Array.isArray(base.nodes) ? base.nodes : [],
    edges: Array.isArray(base.edges) ? base.edges : [],
    parameters: Array.isArray(base.parameters) ? base.parameters : [],
    settings:
      base.settings && typeof base.settings === 'object' ? base.settings : { ...DEFAULT_SETTINGS },
  };
}
