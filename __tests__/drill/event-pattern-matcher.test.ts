import { readFileSync } from "node:fs";
import { remediationEventPattern } from "../../lib/event-pattern";
import { matchesEventPattern, UnsupportedPatternError } from "../../tools/drill/event-pattern-matcher";
import { SAMPLE_EVENT_PATH } from "../../tools/drill/sample-event";

// Examples from the EventBridge User Guide: "Event pattern syntax" and "Arrays in Amazon EventBridge event patterns".
const ec2StateChange = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

describe("matchesEventPattern", () => {
  it("matches the guide's EC2 state-change example on source, detail-type and a nested field", () => {
    const pattern = {
      source: ["aws.ec2"],
      "detail-type": ["EC2 Instance State-change Notification"],
      detail: { state: ["terminated"] },
    };
    expect(matchesEventPattern(pattern, ec2StateChange)).toBe(true);
    expect(matchesEventPattern({ ...pattern, detail: { state: ["running"] } }, ec2StateChange)).toBe(false);
  });

  it("matches when any value of the pattern's array equals the event's value", () => {
    expect(matchesEventPattern({ source: ["aws.ec2", "aws.fargate"] }, ec2StateChange)).toBe(true);
    expect(matchesEventPattern({ source: ["aws.fargate", "aws.s3"] }, ec2StateChange)).toBe(false);
  });

  it("matches an event array when the two arrays intersect (the guide's resources example)", () => {
    const pattern = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    };
    const intersecting = {
      resources: [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      ],
    };
    expect(matchesEventPattern(pattern, intersecting)).toBe(true);
    expect(matchesEventPattern(pattern, { resources: [intersecting.resources[0]] })).toBe(false);
    expect(matchesEventPattern(pattern, { resources: [] })).toBe(false);
  });

  it("is exact and case-sensitive", () => {
    expect(matchesEventPattern({ source: ["AWS.EC2"] }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ source: ["aws.ec2 "] }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ detail: { state: ["1"] } }, { detail: { state: 1 } })).toBe(false);
  });

  it("requires every named field, at the same nesting", () => {
    expect(matchesEventPattern({ detail: { missing: ["x"] } }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ state: ["terminated"] }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ detail: { state: ["terminated"] } }, { detail: "terminated" })).toBe(false);
  });

  it("matches null and the empty string only as themselves", () => {
    expect(matchesEventPattern({ a: [null] }, { a: null })).toBe(true);
    expect(matchesEventPattern({ a: [null] }, {})).toBe(false);
    expect(matchesEventPattern({ a: [""] }, { a: null })).toBe(false);
    expect(matchesEventPattern({ a: [""] }, { a: "" })).toBe(true);
  });

  it.each([
    [{ source: [{ prefix: "aws." }] }],
    [{ detail: { state: [{ "anything-but": "running" }] } }],
    [{ detail: { count: [{ numeric: [">", 0] }] } }],
    [{ detail: { state: [{ exists: true }] } }],
    [{ $or: [{ source: ["aws.ec2"] }] }],
    [{ source: "aws.ec2" }],
  ])("refuses an operator it does not implement: %j", (pattern) => {
    expect(() => matchesEventPattern(pattern, ec2StateChange)).toThrow(UnsupportedPatternError);
  });

  it("matches the recorded compliance-change event against ami-guard's own pattern", () => {
    const recorded = readFileSync(SAMPLE_EVENT_PATH, "utf8");
    const event = JSON.parse(recorded.replaceAll("{{RULE}}", "approved-amis-by-id"));
    expect(matchesEventPattern(remediationEventPattern("approved-amis-by-id"), event)).toBe(true);
    expect(matchesEventPattern(remediationEventPattern("other-rule"), event)).toBe(false);
  });
});
