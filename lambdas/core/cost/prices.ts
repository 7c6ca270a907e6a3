/**
 * The list prices the cost planner uses: US East (N. Virginia), USD, on-demand, without free tiers
 * (they are per account and shared with everything else in it). Checked on PRICES_AS_OF; each
 * price names the page it comes from. A price that changes is changed here, with the date.
 */
export const PRICES_AS_OF = '2026-12-02';
export const PRICES_REGION = 'us-east-1';

/** AWS bills a month as 730 hours. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

export const PRICES = {
  route53: {
    // https://aws.amazon.com/route53/pricing/ ("Health checks")
    /** Basic health check of an AWS endpoint (ELB, EC2… in the same account), per month. */
    healthCheckAwsEndpoint: 0.5,
    /** Basic health check of a non-AWS endpoint, per month. */
    healthCheckNonAwsEndpoint: 0.75,
    /** Each optional feature (HTTPS, string matching, fast 10 s interval, latency), AWS endpoint. */
    optionalFeatureAwsEndpoint: 1.0,
    /** Each optional feature, non-AWS endpoint. */
    optionalFeatureNonAwsEndpoint: 2.0,
    /** Hosted zone, per month (first 25 zones); drpilot creates none. */
    hostedZone: 0.5,
  },
  kms: {
    // https://aws.amazon.com/kms/pricing/
    /** Each customer managed key, per month. */
    keyMonth: 1.0,
    /**
     * Each backing key made by automatic rotation, per month; since the May 2024 change only the
     * first and second rotations are charged (at most +$2/month per key).
     */
    rotatedBackingKeyMonth: 1.0,
    maxChargedRotations: 2,
    /** Symmetric requests (Encrypt, Decrypt, GenerateDataKey…), per request ($0.03 per 10,000). */
    request: 0.03 / 10_000,
  },
  cloudwatch: {
    // https://aws.amazon.com/cloudwatch/pricing/ ("Alarms", "Metrics", "Logs")
    /** Standard-resolution (period ≥ 60 s) alarm, per alarm metric per month. */
    standardAlarmMetric: 0.1,
    /** High-resolution (period < 60 s) alarm, per alarm metric per month. */
    highResolutionAlarmMetric: 0.3,
    /** Composite alarm, per month. */
    compositeAlarm: 0.5,
    /** Metrics Insights query alarm, per metric the query analyzes per month. */
    metricsInsightsAlarmMetric: 0.1,
    /** Dashboard, per dashboard-month (the account's first three are free). */
    dashboard: 3.0,
    /** GetMetricData, per metric requested ($0.01 per 1,000 metrics, "API" on the same page). */
    getMetricDataMetric: 0.01 / 1_000,
    /** Custom metric, per metric-month (first 10,000 metrics). */
    customMetric: 0.3,
    /** Logs: standard ingestion, per GB. */
    logIngestionGb: 0.5,
    /** Logs: archived storage, per GB-month. */
    logStorageGbMonth: 0.03,
  },
  lambda: {
    // https://aws.amazon.com/lambda/pricing/
    /** Per request ($0.20 per million). */
    request: 0.2 / 1_000_000,
    /** Arm (Graviton), per GB-second (first 7.5 billion GB-s). */
    gbSecondArm64: 0.0000133334,
    /** x86, per GB-second (first 6 billion GB-s). */
    gbSecondX86: 0.0000166667,
  },
  stepFunctions: {
    // https://aws.amazon.com/step-functions/pricing/
    /** Standard workflows, per state transition ($0.025 per 1,000). */
    standardTransition: 0.025 / 1_000,
  },
  dynamodb: {
    // https://aws.amazon.com/dynamodb/pricing/on-demand/
    /** On-demand write request unit ($0.625 per million since November 2024). */
    writeRequestUnit: 0.625 / 1_000_000,
    /** On-demand read request unit ($0.125 per million since November 2024). */
    readRequestUnit: 0.125 / 1_000_000,
    /** Standard table class storage, per GB-month. */
    storageGbMonth: 0.25,
    /** Continuous backups (point-in-time recovery), per GB-month. */
    pitrGbMonth: 0.2,
  },
  sqs: {
    // https://aws.amazon.com/sqs/pricing/
    /** Standard queue request ($0.40 per million). */
    request: 0.4 / 1_000_000,
  },
  sns: {
    // https://aws.amazon.com/sns/pricing/
    /** Standard topic publish ($0.50 per million). */
    publish: 0.5 / 1_000_000,
  },
  secretsManager: {
    // https://aws.amazon.com/secrets-manager/pricing/
    /** Per secret per month. */
    secretMonth: 0.4,
    /** Per API call ($0.05 per 10,000). */
    apiCall: 0.05 / 10_000,
  },
  xray: {
    // https://aws.amazon.com/xray/pricing/
    /** Per trace recorded ($5.00 per million). */
    traceRecorded: 5 / 1_000_000,
  },
} as const;

/**
 * Which prices were seen on the pricing pages (or on pages quoting them) when PRICES_AS_OF was
 * set, and which are carried over unconfirmed.
 */
export const PRICE_CONFIRMATION = {
  confirmed: [
    'kms.keyMonth and rotatedBackingKeyMonth (aws.amazon.com/kms/pricing)',
    'kms.request, the 2-rotation cap (secondary sources quoting the KMS pricing page)',
    'route53 basic health checks $0.50 / $0.75 (secondary sources)',
    'cloudwatch alarms $0.10 / $0.30 / composite $0.50, logs $0.50/GB and $0.03/GB-month, custom metric $0.30 (secondary sources)',
    'lambda requests and Arm/x86 GB-second (secondary sources)',
    'stepFunctions.standardTransition (aws.amazon.com/step-functions/pricing, secondary sources)',
    'dynamodb on-demand WRU/RRU after the November 2024 reduction (secondary sources)',
    'secretsManager secret-month and API calls (secondary sources)',
    'cloudwatch.getMetricDataMetric $0.01 per 1,000 metrics requested (secondary sources: support.site24x7.com, vantage.sh, 2026-12-02)',
  ],
  unconfirmed: [
    'route53 optional-feature prices ($1.00 AWS / $2.00 non-AWS endpoint)',
    'cloudwatch Metrics Insights alarm price per analyzed metric',
    'dynamodb storage and PITR per GB-month',
    'sqs, sns, xray request prices',
    'cloudwatch dashboard $3.00/month',
    'how many ReceiveMessage calls an idle SQS event source mapping makes (5 pollers assumed)',
  ],
} as const;
