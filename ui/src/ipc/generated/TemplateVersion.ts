import type { GraphJson } from "./GraphJson";
export type TemplateVersion = { versionId: string, graph: GraphJson, contentHash: string, };
