import type { CheckItem } from "./CheckItem";
export type PublishResult = { templateId: string | null, reviewId: string | null, checks: Array<CheckItem>, queued: boolean, };
