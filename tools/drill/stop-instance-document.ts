import declaration from "./aws-stop-ec2-instance.parameters.json";

/**
 * The parameters `AWS-StopEC2Instance` declares, kept as data with the page they were read from, so a
 * remediation configuration can be checked against the document rather than against our own constants.
 */
interface DocumentParameter {
  readonly name: string;
  /** SSM parameter types: `String`, `StringList`, ... */
  readonly type: string;
  readonly required: boolean;
  readonly description: string;
}

interface DocumentDeclaration {
  readonly document: string;
  readonly source: { readonly title: string; readonly url: string; readonly markdown: string };
  readonly parameters: readonly DocumentParameter[];
}

export const STOP_EC2_INSTANCE_DECLARATION: DocumentDeclaration = declaration;
