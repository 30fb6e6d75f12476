import { ALARM_NAMES, alarmNameFor } from "./alarm-names";
import {
  DEFAULT_NAME_PREFIX,
  longestNamePrefix,
  NAMING_RULES,
  namePrefixProblems,
  resourceNames,
} from "./names";
import type { AwsRegion } from "./regions";

/*
 * The names a whole pipeline derives from its prefix, alarms included, apart from the construct: the
 * configuration checks them without loading cdktf and the provider (lib/ami-guard.ts re-exports these).
 */

/** The Config rule name of the shipped app, which deployed stacks already carry. */
export const DEFAULT_RULE_NAME = "approved-amis-by-id";

/**
 * The rule name a pipeline gets when none is given. The default prefix keeps the name the app's stacks
 * already carry (renaming a rule replaces it and loses its compliance history); any other prefix derives
 * its own, so pipelines side by side never share a rule.
 */
export function defaultRuleName(namePrefix: string): string {
  return namePrefix === DEFAULT_NAME_PREFIX ? DEFAULT_RULE_NAME : `${namePrefix}-approved-amis`;
}

/** Every name the alarms add to the prefix, checked with the other derived names. */
const ALARM_SUFFIXES = ALARM_NAMES.map((alarm) => ({
  suffix: alarmNameFor("", alarm),
  rule: NAMING_RULES.cloudwatchAlarm,
}));

/** The longest physical name a pipeline derives from its prefix in a region, alarms included. */
export function longestDerivedName(namePrefix: string, region: AwsRegion): string {
  const names = resourceNames(namePrefix, region);
  const all = [
    ...Object.entries(names)
      .filter(([key]) => key !== "namePrefix")
      .map(([, name]) => name),
    ...ALARM_NAMES.map((alarm) => alarmNameFor(namePrefix, alarm)),
  ];
  return all.reduce((longest, name) => (name.length > longest.length ? name : longest), "");
}

/** The longest `namePrefix` every derived name accepts in every region. */
export const NAME_PREFIX_MAX_LENGTH = longestNamePrefix(ALARM_SUFFIXES);

/**
 * Every problem of `namePrefix` in `region`, alarms included: the rules the construct checks its own prop
 * against, for a caller (the app's configuration) that checks it before building anything.
 */
export function namePrefixProblemsIn(namePrefix: string, region: AwsRegion): string[] {
  const alarms = ALARM_SUFFIXES.map(({ suffix, rule }) => ({ name: `${namePrefix}${suffix}`, rule }));
  return namePrefixProblems(namePrefix, region, alarms);
}
