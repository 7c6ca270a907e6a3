/** The CloudWatch names drpilot's functions publish and its alarms watch: one contract, two sides. */
export const METRICS_NAMESPACE = 'drpilot';

/** The standby side's RPO per Velero schedule (dimension `Schedule`). */
export const RPO_METRIC = 'BackupRpoSeconds';

/** The worst of those, without dimensions: the RPO alarm watches it. */
export const WORST_RPO_METRIC = 'WorstBackupRpoSeconds';

/**
 * The verified RPO: the age of the newest backup a restore drill actually restored, per schedule
 * (dimension `Schedule`) and, without dimensions, the newest of any schedule (its alarm watches it).
 */
export const VERIFIED_RPO_METRIC = 'VerifiedRpoSeconds';
