/**
 * GOGC for the test run's Go processes (terraform, the AWS provider, esbuild), unless the caller set one.
 * Go starts a collection when the heap has grown GOGC % past what the last one kept; the default is 100
 * (https://pkg.go.dev/runtime#hdr-Environment_Variables). The AWS provider allocates heavily in every plan
 * of a stack with state, and collects a quarter as often at 400. `npm run bench -- provider-gc` measures
 * it against Go's default on the applied shipped stack; on the idle two-core machine, 2026-12-07: provider
 * 0.26 against 0.35 CPU-s a plan (0.74×), terraform 0.63 against 0.66 (0.95×), for a provider peak of
 * 444 against 355 MiB. When memory is reclaimed changes no result, so the commands behave as a user's do.
 */
export const TEST_RUN_GOGC = "400";
