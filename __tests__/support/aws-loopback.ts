export * from "../../lib/loopback/aws-loopback";
