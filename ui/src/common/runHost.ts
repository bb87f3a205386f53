/**
 * The contract between the editor and the panels that run its strategy (Run, Sweep, …). The
 * editor owns the graph and saving; such a panel belongs to another feature and gets from the
 * editor only what is described here. `app/` hands the panels to the editor.
 */

import type { ReactNode } from 'react';

/** A saved strategy version: what a run, a sweep or a report names. */
export interface SavedVersion {
  strategyId: string;
  version: number;
}

/** A strategy parameter (`$name` in the graph) as the open graph declares it. */
export interface StrategyParameter {
  name: string;
  type: 'int' | 'float';
  default: number;
  min?: number;
  max?: number;
}

/** What the editor gives a panel that runs the open strategy. */
export interface RunHost {
  strategyId: string;
  parameters: StrategyParameter[];
  /** The working graph differs from its saved version (or none is saved yet). */
  unsaved: boolean;
  /** The latest saved version, if any (what a count or a check before running can use). */
  savedVersion: number | null;
  /** A past version or a diff is shown read-only: nothing may run. */
  readOnly: boolean;
  /**
   * The version to run: the working graph is saved first when it has unsaved changes (the
   * editor asks for a note, naming `action` on its button, e.g. "run"). Null when the user
   * backs out or the graph cannot be saved.
   */
  ensureSaved: (action: string) => Promise<SavedVersion | null>;
}

/** A tab of the editor's side panel given by another feature. */
export interface EditorPanel {
  id: string;
  label: string;
  render: (host: RunHost) => ReactNode;
  /** What the toolbar's ▶ Run and Ctrl+Enter do (the first panel that has one). */
  run?: (host: RunHost) => void;
}
