import { DEFAULT_NAME_PREFIX } from "../lib/names";
import type { Target } from "./config";

/*
 * A stack's name and state key, apart from the stack: the configuration names its stacks without loading
 * cdktf and the provider (app/ami-guard-stack.ts re-exports these).
 */

/**
 * `ami-guard-111122223333-eu-central-1`: the name prefix, then the account and region a stack deploys to,
 * readable in every plan. With the default prefix it is the name stacks always had; another prefix gives a
 * second team's stack for the same account and region a name, output folder and local state of its own.
 */
export function stackNameFor(target: Pick<Target, "accountId" | "region" | "namePrefix">): string {
  return `${target.namePrefix ?? DEFAULT_NAME_PREFIX}-${target.accountId}-${target.region}`;
}

/**
 * Where a stack keeps its state: one key per account and region, so reordering targets moves nothing. A
 * prefix other than the default adds a folder of its own before the account (`<keyPrefix>/<namePrefix>/…`),
 * so two teams sharing a bucket and key prefix never share a state; the default keeps the keys of old.
 */
export function stateKeyFor(
  keyPrefix: string,
  target: Pick<Target, "accountId" | "region" | "namePrefix">,
): string {
  const folders = [
    keyPrefix.replace(/\/+$/, ""),
    target.namePrefix === undefined || target.namePrefix === DEFAULT_NAME_PREFIX ? "" : target.namePrefix,
  ].filter((folder) => folder !== "");
  return `${folders.map((folder) => `${folder}/`).join("")}${target.accountId}/${target.region}/terraform.tfstate`;
}
