/** The CloudWatch names drpilot's functions publish and its alarms watch: one contract, two sides. */
export const METRICS_NAMESPACE = 'drpilot';

/** The standby side's RPO per Velero schedule (dimension `Schedule`). */
export const RPO_METRIC = 'BackupRpoSeconds';

/** The worst of those, without dimensions: the RPO alarm watches it. */
export const WORST_RPO_METRIC = 'WorstBackupRpoSeconds';
