import { writeFileSync } from "node:fs";

/**
 * An organization's configuration at any size, shaped like examples/organization-200-stacks.json (which
 * is this with 50 accounts): every account in four regions, a fifth of the accounts auditing with an
 * existing recorder, a tenth event-driven in dry run, the rest event-driven. `npm run example:organization
 * -- <accounts> [file]` writes it; the synthesis benchmark uses it for 2,000 stacks (500 accounts).
 */
export function organizationExample(accounts: number): Record<string, unknown> {
  if (!Number.isInteger(accounts) || accounts < 1 || accounts > 900_000)
    throw new Error(`accounts must be a whole number from 1 to 900000, got ${accounts}`);
  const regions = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"];
  // Distinct, valid, readable 12-digit ids: 210000000000, 210000001111, …
  const accountIds = Array.from({ length: accounts }, (_, i) => String(210_000_000_000 + i * 1111));
  const audit = Math.round(accounts / 5);
  const dryRun = Math.round(accounts / 10);
  const groups = [
    { accountIds: accountIds.slice(0, audit), regions, recorder: "existing", mode: "audit" },
    { accountIds: accountIds.slice(audit, accounts - dryRun), regions },
    { accountIds: accountIds.slice(accounts - dryRun), regions, dryRun: true },
  ];
  return {
    $schema: "../ami-guard.config.schema.json",
    ruleName: "approved-amis-by-id",
    approvedAmiIds: ["ami-0abcdef1234567890", "ami-0fedcba9876543210", "ami-12345678"],
    remediation: { mode: "event-driven", exemptionTagKey: "ami-guard:exempt" },
    notifications: { emails: ["platform-alerts@example.com"] },
    targets: [],
    targetGroups: groups.filter((group) => group.accountIds.length > 0),
    backend: {
      type: "s3",
      bucket: "example-org-terraform-state",
      keyPrefix: "ami-guard",
      region: "eu-central-1",
      locking: "lockfile",
    },
    tags: { project: "ami-guard", "managed-by": "cdktf" },
  };
}

if (require.main === module) {
  const [accounts = "500", file] = process.argv.slice(2);
  const text = `${JSON.stringify(organizationExample(Number(accounts)), null, 2)}\n`;
  if (file) writeFileSync(file, text);
  else process.stdout.write(text);
}
