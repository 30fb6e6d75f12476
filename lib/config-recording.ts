import { ConfigConfigurationRecorder } from "@cdktf/provider-aws/lib/config-configuration-recorder";
import { ConfigConfigurationRecorderStatus } from "@cdktf/provider-aws/lib/config-configuration-recorder-status";
import { ConfigDeliveryChannel } from "@cdktf/provider-aws/lib/config-delivery-channel";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { COMPLIANCE_HISTORY_RESOURCE_TYPE } from "./aws-facts";
import { EC2_INSTANCE_RESOURCE_TYPE } from "./contract";
import { ServiceRole } from "./iam";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import type { AwsRegion } from "./regions";
import { partitionOf } from "./regions";

/** S3 adds a unique suffix; a prefix may have at most 37 characters. */
export const CONFIG_BUCKET_PREFIX = `${DEFAULT_NAME_PREFIX}-config-`;

/**
 * Resource types the recorder records, since every item is billed: what the AMI rule evaluates, and the
 * compliance history the offboarding keeps as evidence, which Config stores only while this type is recorded.
 */
export const RECORDED_RESOURCE_TYPES: readonly string[] = [
  EC2_INSTANCE_RESOURCE_TYPE,
  COMPLIANCE_HISTORY_RESOURCE_TYPE.value,
];
/** The recorder and delivery channel ami-guard creates; a preflight recognises its own by these names. */
export const RECORDER_NAME = DEFAULT_NAME_PREFIX;
export const DELIVERY_CHANNEL_NAME = DEFAULT_NAME_PREFIX;

export interface ConfigRecordingProps {
  readonly accountId: string;
  readonly region: AwsRegion;
  /**
   * Prefix of the bucket, role, recorder and delivery channel names ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
  /**
   * Days after which superseded snapshot versions are deleted from the bucket.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which delivered snapshots and history files are deleted.
   * @default 365
   */
  readonly snapshotExpirationDays?: number;
}

/**
 * AWS Config switched on for EC2 instances: a hardened delivery bucket, Config's role, the recorder,
 * the delivery channel and the recorder status, in the order AWS accepts them.
 */
export class ConfigRecording extends Construct {
  readonly bucket: S3Bucket;
  readonly recorder: ConfigConfigurationRecorder;
  readonly recorderStatus: ConfigConfigurationRecorderStatus;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: ConfigRecordingProps) {
    super(scope, id);
    const partition = partitionOf(props.region);
    const { accountId } = props;
    const names = resourceNames(props.namePrefix ?? DEFAULT_NAME_PREFIX, props.region);

    this.bucket = new S3Bucket(this, "bucket", {
      // Bucket names are global: a predictable name can be created first by anyone, failing the apply with
      // BucketAlreadyExists (or, worse, delivering to their bucket). S3 appends a unique suffix to a prefix.
      bucketPrefix: names.configBucketPrefix,
      // A compliance record is evidence: Terraform must refuse to delete a bucket that still holds it.
      forceDestroy: false,
    });
    const bucketArn = this.bucket.arn;
    const deliveryObjects = `${bucketArn}/AWSLogs/${accountId}/Config/*`;

    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      // No bucket key: S3 Bucket Keys are an SSE-KMS feature and mean nothing with SSE-S3.
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-old-snapshots",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: props.snapshotExpirationDays ?? 365 }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpirationDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          // Expiring current versions in a versioned bucket leaves delete markers behind; S3 removes one once
          // no version is left under it, but only when a rule asks (and not in a rule that sets days).
          id: "remove-expired-delete-markers",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
    });

    const sourceAccount = [{ test: "StringEquals", variable: "AWS:SourceAccount", values: [accountId] }];
    const configPrincipal = [{ type: "Service", identifiers: ["config.amazonaws.com"] }];
    const bucketPolicy = new DataAwsIamPolicyDocument(this, "bucket-policy-document", {
      statement: [
        {
          sid: "AWSConfigBucketPermissionsCheck",
          effect: "Allow",
          principals: configPrincipal,
          actions: ["s3:GetBucketAcl"],
          resources: [bucketArn],
          condition: sourceAccount,
        },
        {
          sid: "AWSConfigBucketExistenceCheck",
          effect: "Allow",
          principals: configPrincipal,
          actions: ["s3:ListBucket"],
          resources: [bucketArn],
          condition: sourceAccount,
        },
        {
          sid: "AWSConfigBucketDelivery",
          effect: "Allow",
          principals: configPrincipal,
          actions: ["s3:PutObject"],
          resources: [deliveryObjects],
          condition: [
            ...sourceAccount,
            { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
          ],
        },
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [bucketArn, `${bucketArn}/*`],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    const policy = new S3BucketPolicy(this, "bucket-policy", {
      bucket: this.bucket.id,
      policy: bucketPolicy.json,
    });

    this.role = new ServiceRole(this, "config-role", {
      roleName: names.configRoleName,
      description: "Assumed by AWS Config to record EC2 instances and deliver to the ami-guard bucket.",
      service: "config.amazonaws.com",
      accountId,
      managedPolicyArns: [`arn:${partition}:iam::aws:policy/service-role/AWS_ConfigRole`],
      // Config writes to the bucket as this role when the bucket is in the same account.
      statements: [
        { sid: "CheckBucket", effect: "Allow", actions: ["s3:GetBucketAcl"], resources: [bucketArn] },
        {
          sid: "Deliver",
          effect: "Allow",
          actions: ["s3:PutObject"],
          resources: [deliveryObjects],
          condition: [
            { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
          ],
        },
      ],
    });

    this.recorder = new ConfigConfigurationRecorder(this, "recorder", {
      name: names.recorderName,
      roleArn: this.role.role.arn,
      recordingGroup: {
        allSupported: false,
        includeGlobalResourceTypes: false,
        resourceTypes: [...RECORDED_RESOURCE_TYPES],
      },
      // The AMI rule is triggered by configuration changes; daily recording would delay detection by up to a day.
      // Compliance history may only be recorded continuously (COMPLIANCE_HISTORY_RECORDED_CONTINUOUSLY).
      recordingMode: { recordingFrequency: "CONTINUOUS" },
    });
    const channel = new ConfigDeliveryChannel(this, "delivery-channel", {
      name: names.deliveryChannelName,
      s3BucketName: this.bucket.bucket,
      snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
      // Config checks its access to the bucket when the channel is created: without the bucket policy, or
      // without the role's permissions in place, creation fails with InsufficientDeliveryPolicyException.
      dependsOn: [this.recorder, policy, this.role.policy, ...this.role.managedPolicyAttachments],
    });
    this.recorderStatus = new ConfigConfigurationRecorderStatus(this, "recorder-status", {
      name: this.recorder.name,
      isEnabled: true,
      // A recorder can only start once it has a delivery channel.
      dependsOn: [channel],
    });
  }
}
