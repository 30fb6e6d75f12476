/** A function's deployment package, built outside the constructs (the app bundles the handler with esbuild). */
export interface FunctionCode {
  /** Absolute path of the zip; stacks copy it in as a Terraform asset. */
  readonly zipPath: string;
  /** base64 SHA-256 of the zip, the form `source_code_hash` compares against. */
  readonly sourceCodeHash: string;
}
