/*
 * When the approved-AMI rule re-evaluates, as plain numbers: the configuration's schema and the plan summary
 * read them without loading cdktf and the provider (lib/rule-reevaluation.ts builds the schedules and
 * re-exports these).
 */

/**
 * How long after an apply that changed the list the one-time evaluation runs. StartConfigRulesEvaluation
 * refuses a call while an evaluation of the rule is in progress, and more than one call a minute
 * (LimitExceededException: https://docs.aws.amazon.com/config/latest/APIReference/API_StartConfigRulesEvaluation.html
 * and .../API_LimitExceededException); a few minutes' lead keeps clear of the evaluation Config starts
 * itself when the rule is first created.
 */
export const AFTER_CHANGE_DELAY_MINUTES = 5;

/** Hours between two scheduled evaluations of every instance. */
export const DEFAULT_REEVALUATION_INTERVAL_HOURS = 24;
