/**
 * Terraform reads every string in a `.tf.json` file as a template: `${...}` interpolates and `%{...}` is
 * a directive, and cdktf passes both through untouched (its `Fn.rawString` escapes only `${`, and also
 * re-escapes quotes and newlines, which JSON already does). A user's string must reach Terraform as
 * exactly what they wrote, so the two openers are doubled, Terraform's own escape for a literal.
 */
export function terraformLiteral(value: string): string {
  // Function replacements: in a replacement *string*, "$$" would itself collapse to "$".
  return value.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

/** Every key and value of a string map, made literal. */
export function terraformLiteralMap(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [terraformLiteral(k), terraformLiteral(v)]),
  );
}
