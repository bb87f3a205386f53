export type PreflightInput = { strategyId: string, version: number, title: string, description: string, };
