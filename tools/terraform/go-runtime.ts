/**
 * GOGC for the test run's Go processes (terraform, the AWS provider, esbuild), unless the caller set one.
 * Go starts a collection when the heap has grown GOGC % past what the last one kept; the default is 100
 * (https://pkg.go.dev/runtime#hdr-Environment_Variables). The AWS provider allocates heavily in every plan
 * of a stack with state, and collects a quarter as often at 400. `npm run bench -- provider-gc` measures
 * it against Go's default on the applied shipped stack; on the idle two-core machine, 2026-12-07: provider
 * 3.20 against 4.10 CPU-s a plan (0.78×), terraform 2.43 against 2.62 (0.93×), for a provider peak of
 * 717 against 361 MiB. When memory is reclaimed changes no result, so the commands behave as a user's do.
 */
export const TEST_RUN_GOGC = "400";
