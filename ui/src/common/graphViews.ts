// Read-only graph views a feature may show without importing the editor: the app passes the
// editor's canvases down (features import only common/ and ipc/).

import type { ComponentType } from 'react';
import type { GraphDoc } from './graphDoc';

export interface GraphViews {
  /** One graph, read-only (its comment frames drawn on the canvas). */
  Version: ComponentType<{ doc: GraphDoc }>;
  /** The visual diff of `a` → `b`: added, removed and changed nodes and wires marked. */
  Diff: ComponentType<{ a: GraphDoc; b: GraphDoc }>;
  /** The same diff in words. */
  Summary: ComponentType<{ a: GraphDoc; b: GraphDoc }>;
}
