/**
 * Shapes of names that reach drpilot from its config, its CLI flags and its events. One place, so
 * the config schema, the Lambda event parser and the CLI accept exactly the same values.
 */

/** A node group id: letters, digits and -; never contains the `.` that ends it in alarm names. */
export const NODE_GROUP_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** An EC2 instance type such as m6i.large or u-6tb1.metal (family, ".", size). */
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+(-[a-z0-9]+)?$/;
/** No instance type name comes near this; it bounds what a flag or payload may carry. */
export const INSTANCE_TYPE_MAX_LENGTH = 32;

/**
 * A Velero backup is a Kubernetes object, so its name is a DNS subdomain name: at most 253
 * characters, lower-case alphanumerics, '-' or '.', starting and ending with an alphanumeric
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names).
 * It is also a key segment under `backups/`, so this rule is what keeps `..`, `/` and `*` out.
 */
export const KUBERNETES_OBJECT_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
export const KUBERNETES_OBJECT_NAME_MAX_LENGTH = 253;

/** CloudWatch rejects longer alarm names (PutMetricAlarm, AlarmName: 1–255 characters). */
export const ALARM_NAME_MAX_LENGTH = 255;

/** The longest `reason` a person may give; it lands in audit entries and change comments. */
export const REASON_MAX_LENGTH = 1024;
