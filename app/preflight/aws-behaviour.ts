/**
 * What AWS documents about the reads the preflight makes, each with the page that says so. The decisions in
 * `checks.ts` and the tests take these values from here.
 */
import { COMPLIANCE_HISTORY_RESOURCE_TYPE, LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM } from "../../lib/aws-facts";
import { EC2_INSTANCE_RESOURCE_TYPE } from "../../lib/contract";

export const SOURCES = {
  describeRegions: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html",
  optInRegions: "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html",
  getCallerIdentity: "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
  recorderLimit: "https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
  recordingGroup: "https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingGroup.html",
  recordingStrategy: "https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingStrategy.html",
  recordingMode: "https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingMode.html",
  complianceHistory: COMPLIANCE_HISTORY_RESOURCE_TYPE.source,
  recorderStatus:
    "https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigurationRecorderStatus.html",
  describeConfigRules: "https://docs.aws.amazon.com/config/latest/APIReference/API_DescribeConfigRules.html",
  listTagsForResource: "https://docs.aws.amazon.com/config/latest/APIReference/API_ListTagsForResource.html",
  putFunctionConcurrency: "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html",
  accountLimit: "https://docs.aws.amazon.com/lambda/latest/api/API_AccountLimit.html",
  listSubscriptionsByTopic: "https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html",
  subscribe: "https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html",
  headBucket: "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html",
  describeTable: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html",
  describeOrganization:
    "https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html",
  listRoots: "https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListRoots.html",
  policyTypeSummary:
    "https://docs.aws.amazon.com/organizations/latest/APIReference/API_PolicyTypeSummary.html",
  attachPolicy: "https://docs.aws.amazon.com/organizations/latest/APIReference/API_AttachPolicy.html",
  enablePolicyType: "https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html",
  declarativePolicyPrerequisites:
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_prereqs.html",
  enableAllFeatures:
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_support-all-features.html",
} as const;

/**
 * DescribeRegions with AllRegions reports each region's OptInStatus as `opt-in-not-required`, `opted-in` or
 * `not-opted-in` (SOURCES.describeRegions); only the last one refuses every call (SOURCES.optInRegions).
 */
export const REGION_NOT_ENABLED = "not-opted-in";
export const REGION_ENABLED_STATUSES: readonly string[] = ["opt-in-not-required", "opted-in"];

/**
 * "You can reserve concurrency for as many functions as you like, as long as you leave at least 100
 * simultaneous executions unreserved for functions that aren't configured with a per-function limit."
 * (SOURCES.putFunctionConcurrency). AccountLimit.UnreservedConcurrentExecutions is what is left after every
 * reservation (SOURCES.accountLimit).
 */
export const MINIMUM_UNRESERVED_CONCURRENCY = LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM.value;

/**
 * Config keeps one customer managed recorder per account and region; a second fails with
 * MaxNumberOfConfigurationRecordersExceededException (SOURCES.recorderLimit). Service-linked recorders
 * (those with a `servicePrincipal`) record for the linked service only and are not the customer's recorder.
 */
export const RECORDED_TYPE = EC2_INSTANCE_RESOURCE_TYPE;

/**
 * Config keeps compliance history only while the recorder records this type (SOURCES.complianceHistory); the
 * rule evaluates without it, so a recorder that leaves it out is a warning, not a block: the pipeline works
 * and only the record of what it found is lost.
 */
export const COMPLIANCE_HISTORY_TYPE = COMPLIANCE_HISTORY_RESOURCE_TYPE.value;

/**
 * ListSubscriptionsByTopic returns at most 100 subscriptions a call and a NextToken while more remain
 * (SOURCES.listSubscriptionsByTopic). An unconfirmed subscription has no ARN yet: Subscribe answers "pending
 * confirmation" for it (SOURCES.subscribe); the API reference does not spell what ListSubscriptionsByTopic
 * puts in SubscriptionArn for one (the console and SDK samples show `PendingConfirmation`), so anything that
 * is not an ARN counts as pending.
 */
export function isPendingSubscription(subscriptionArn: string | undefined): boolean {
  return !subscriptionArn?.startsWith("arn:");
}

/** HeadBucket needs s3:ListBucket; it answers 404 for a missing bucket and 403 without access (SOURCES.headBucket). */
export const HEAD_BUCKET_ACTION = "s3:ListBucket";

/** The policy type the prevention stack's policy is, and must be enabled on the root before AttachPolicy. */
export const PREVENTION_POLICY_TYPE = "DECLARATIVE_POLICY_EC2";

/**
 * "Using declarative policies for an organization requires the following: Your organization must have all
 * features enabled." (SOURCES.declarativePolicyPrerequisites). DescribeOrganization's FeatureSet is `ALL` or
 * `CONSOLIDATED_BILLING` (SOURCES.describeOrganization); an account outside any organization gets
 * AWSOrganizationsNotInUseException.
 */
export const ALL_FEATURES = "ALL";
export const NOT_IN_AN_ORGANIZATION_ERROR = "AWSOrganizationsNotInUseException";

/**
 * "To attach a policy of the specified type to a root or to an OU or account in that root, it must be
 * available in the organization and enabled for that root." Status: ENABLED | PENDING_ENABLE |
 * PENDING_DISABLE (SOURCES.policyTypeSummary). Until then AttachPolicy fails with
 * PolicyTypeNotEnabledException (SOURCES.attachPolicy). Only ENABLED lets an apply attach the policy; the
 * pending states are asynchronous work (SOURCES.enablePolicyType) whose outcome the preflight cannot know.
 */
export const POLICY_TYPE_READY_STATUS = "ENABLED";

/** The calls that fix each block, as the user runs them (the AWS CLI's names for the two operations). */
export function enablePolicyTypeCommand(rootId: string): string {
  return `aws organizations enable-policy-type --root-id ${rootId} --policy-type ${PREVENTION_POLICY_TYPE}`;
}
export const ENABLE_ALL_FEATURES_COMMAND = "aws organizations enable-all-features";
