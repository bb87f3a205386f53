export type PendingPublish = { id: string, title: string, audience: string, versionId: string, queuedAt: string, };
