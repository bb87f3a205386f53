// The DTO types the features use: the backend's ts-rs output (`./generated`, not edited
// here) plus stricter editor-side shapes of the catalog (a tagged param union) and params.

/** Value of a node param in `graph_json`. */
export type ParamValue =
  | number
  | string
  | boolean
  | { $param: string }
  | { equity_fraction: number }
  | { units: number }
  | { [key: string]: unknown };

export type PortType = 'number' | 'bool' | 'scalar';

export type Category =
  | 'source'
  | 'timeframe'
  | 'indicator'
  | 'pattern'
  | 'math'
  | 'compare'
  | 'signal'
  | 'logic'
  | 'time'
  | 'position'
  | 'order'
  | 'risk';

export interface PortSpec {
  name: string;
  type: PortType;
  help: string;
}

interface ParamSpecBase {
  name: string;
  default: unknown;
  min?: number;
  max?: number;
  help: string;
}

/** One node param in the catalog, tagged by `type`. */
export type ParamSpec =
  | (ParamSpecBase & { type: 'int' | 'float' | 'param_name' | 'size' })
  | (ParamSpecBase & { type: 'enum'; values: string[] });

/** One node kind in the catalog (same JSON as `stratagraph catalog --json`). */
export interface NodeSpec {
  kind: string;
  category: Category;
  label: string;
  help: string;
  /** The formula or rule, in plain notation. */
  formula: string;
  /** Where the definition comes from (a TA-Lib function, a published source); may be empty. */
  reference: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: ParamSpec[];
}

export type {
  CheckItem,
  CohortItem,
  PendingPublish,
  PreflightInput,
  PublishInput,
  PublishResult,
  ReferenceRun,
  TemplateVersion,
  ReviewItem,
  TemplateDetailItem,
  TemplateItem,
  AppInfo,
  AppSettings,
  AxisInput,
  AxisValues,
  BarValues,
  ChartFrame,
  ChartMarker,
  ChartView,
  Dataset,
  DatasetPreview,
  ErrorCode,
  Heatmap,
  HeatCell,
  HoverSeries,
  IndicatorInfo,
  MonteCarloDetail,
  PboSummary,
  PlotBox,
  ExcursionDto,
  MonthReturnDto,
  Robustness,
  RunBreakdown,
  SideStatsDto,
  StabilityDto,
  SweepInput,
  SweepPlan,
  SweepRowDto,
  SweepRowPage,
  SweepSummary,
  ClusterScript,
  ClusterScriptInput,
  ClusterSweepItem,
  WalkForwardDetail,
  WarningDto,
  WindowDto,
  ExampleInfo,
  Inbox,
  InboxItem,
  IpcError,
  MetricDiff,
  PaperAlerts,
  PaperEventItem,
  PaperFill,
  PaperRunDetail,
  PaperRunSummary,
  PaperStartInput,
  Plan,
  Problem,
  Profile,
  Progress,
  QuotaUsage,
  RunCompare,
  RunCosts,
  RunDetail,
  RunSummary,
  Strategy,
  StrategyCreated,
  StrategyFilter,
  StrategyStatus,
  StrategySummary,
  Theme,
  Trade,
  TradePage,
  User,
  VersionDetail,
  VersionSummary,
  Visibility,
} from './generated';

/** A run's metrics by name (the engine's `Metrics` as JSON). */
export type Metrics = Record<string, number | boolean | null>;

export type ChartKind = 'equity' | 'drawdown' | 'price' | 'indicator';
