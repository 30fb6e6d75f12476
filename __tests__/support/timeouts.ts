/**
 * Jest's limit for one stack's Terraform work (init, validate, plan) in a test: the worst case on a busy
 * two-core machine, not a claim about speed, which `npm run bench` measures. Such work is CPU-bound (the
 * AWS provider's schema alone is tens of megabytes); with eight suites competing for two cores a single
 * init and plan was seen past 100 s, so a limit of a few minutes per stack makes a busy machine slower,
 * never red. A test that hangs still fails, after this limit.
 */
export const TERRAFORM_WORK_PER_STACK_MS = 300_000;

/** The limit for a test whose Terraform work covers `stacks` stacks, one after another at worst. */
export function terraformTimeout(stacks: number): number {
  return Math.max(1, stacks) * TERRAFORM_WORK_PER_STACK_MS;
}
