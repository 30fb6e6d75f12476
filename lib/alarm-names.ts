/*
 * The alarms' names and what each tells the person it pages, apart from the construct that creates them:
 * the configuration checks a name prefix against them without loading cdktf and the provider
 * (lib/alarms.ts builds the alarms and re-exports these).
 */

/** What each alarm tells the person it pages; the alarm description carries the same text. */
export const ALARM_MEANINGS = {
  "function-errors":
    "The remediation function failed on an event (errors other than its deliberate deferral of pending instances). Lambda retries twice; read the function's log group for the error.",
  "function-throttles":
    "Events waited because the account's unreserved concurrency was in use (this function reserves none and shares it with every other function of the account and region). Lambda retries them for up to an hour; if this persists, check the function-failures queue, and the account's other functions or its concurrency quota.",
  "notifications-failed":
    "The function could not publish to the notification topic (the topic's or its key's policy, KMS, throttling), so people were not told what it did: this alarm's own message goes through the same topic and may not arrive either. Its state shows on the dashboard. Read the function's log for 'notification not sent', fix the topic or key, then read the log for what went unreported.",
  "reevaluation-failures-queue":
    "EventBridge Scheduler could not start the recurring re-evaluation of the rule after an hour of retries (LimitExceededException, a missing permission, the rule was deleted): compliance may lag the approved list. The message says why; once fixed, run StartConfigRulesEvaluation for the rule or wait for the next run, then purge the queue.",
  "reevaluation-after-change-failures-queue":
    "EventBridge Scheduler could not start the re-evaluation due after the approved list changed: instances running a removed AMI stay COMPLIANT until the next recurring run. The message says why; once fixed, run StartConfigRulesEvaluation for the rule, then purge the queue.",
  "function-failures-queue":
    "A compliance event ran out of retries: an instance with an unapproved AMI may still be running. Fix the cause, then `npm run redrive` the queue.",
  "event-delivery-failures-queue":
    "EventBridge could not deliver an event to its target (permissions, or the target was deleted). The message attributes say why; fix it, then replay the message.",
  "running-delivery-failures-queue":
    "EventBridge could not deliver an instance-running event to the function: an unapproved instance started again may be running. The message attributes say why; fix it, then replay the message.",
  "notification-delivery-failures-queue":
    "EventBridge could not publish a failed-stop notification to the topic (topic or key policy, or the topic was deleted): a stop that failed in SSM went unreported. Check the remediation executions in the Config console.",
  "remediation-failures":
    "The function decided to stop an instance but Config refused to start the remediation (permissions, throttling, or a still-running execution). The function's log says which.",
  "auto-scaling-guard":
    "Instances Config calls NON_COMPLIANT were left running because they belong to an Auto Scaling group (a stop would make the group launch the same AMI again). One notification per state change, however many instances: the dashboard's table 'Instances left running' (a Logs Insights query on the function's log group, /aws/lambda/<prefix>-remediate) lists each instance and its group. Fix each group's launch template. OK means none new for 5 minutes, not that they are gone.",
  "dry-run":
    "Instances Config calls NON_COMPLIANT would have been stopped, and were left running because the function runs in dry run. One notification per state change, however many instances: the dashboard's table 'Instances the dry run would have stopped' (a Logs Insights query on the function's log group, /aws/lambda/<prefix>-remediate) lists each instance and its AMI. OK means none new for 5 minutes, not that they are gone.",
} as const;

export type AlarmName = keyof typeof ALARM_MEANINGS;
export const ALARM_NAMES = Object.keys(ALARM_MEANINGS) as AlarmName[];

/**
 * What an alarm tells the person it pages, for this pipeline. Throttling has two causes: a function with a
 * reservation is throttled at its own limit, one without at the account's unreserved pool, which every other
 * function draws on too. Naming the wrong one sends the reader to the wrong fix.
 */
export function alarmMeaning(alarm: AlarmName, reservedConcurrentExecutions?: number): string {
  if (alarm === "function-throttles" && reservedConcurrentExecutions !== undefined)
    return `Events waited for the function's reserved concurrency of ${reservedConcurrentExecutions} (a burst of NON_COMPLIANT instances). Lambda retries them for up to an hour; if this persists, check the function-failures queue, or raise remediation.reservedConcurrentExecutions.`;
  return ALARM_MEANINGS[alarm];
}

/** `ami-guard-function-errors`: the prefix the topic policy accepts, then the alarm. */
export function alarmNameFor(namePrefix: string, alarm: AlarmName): string {
  return `${namePrefix}-${alarm}`;
}
