import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { buildLambdaBundle } from "../../app/lambda-bundle";
import { type PlanRun, planStacks } from "../../tools/terraform/plan-stacks";
import { REPO_ROOT, scratchFolder, succeeded } from "../terraform/support";

/**
 * The package as a consumer gets it: `npm pack` (whose prepack builds dist/) from a copy of the working
 * tree, installed into an empty project of its own, then a TypeScript, a CommonJS and an ES module
 * consumer (examples/consumer) each build the same two-team stack with the bundled function, and
 * Terraform validates and plans it offline. Nothing is fetched: the tarball is a file, and the peer
 * dependencies are linked from this repository's node_modules (the provider package is 390 MB).
 */

const CONSUMER_EXAMPLE = path.join(REPO_ROOT, "examples", "consumer");
const API_REPORT = path.join("etc", "ami-guard.api.md");
const STACK_NAME = "platform";

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
}
const repoPackage = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;

interface Outcome {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs a command to its end, keeping its output either way, so a failure shows what the tool said. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Outcome {
  try {
    const output = execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: "pipe" });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { ok: false, output: `${command} is not on PATH; the package test needs it` };
    }
    return { ok: false, output: `${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}` };
  }
}

function mustRun(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const outcome = run(command, args, cwd, env);
  if (!outcome.ok) throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${outcome.output}`);
  return outcome.output;
}

function expectSucceeded(outcome: Outcome | undefined): void {
  if (!outcome) throw new Error("the step never ran: an earlier step of the set-up failed");
  if (!outcome.ok) throw new Error(outcome.output);
}

/**
 * The working tree as a fresh checkout would have it (tracked and new files, nothing ignored: no dist/,
 * no cdktf.out), with the installed packages linked in, so packing builds from the sources alone.
 */
function copyWorkingTree(target: string): void {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  for (const file of listed.split("\0").filter((name) => name !== "")) {
    const from = path.join(REPO_ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet in the index
    mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    copyFileSync(from, path.join(target, file));
  }
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(target, "node_modules"), "dir");
}

/** Environment for npm: a cache of the run's own, and none of the settings of the npm that started jest. */
function npmEnvironment(cacheDir: string): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_"));
  return {
    ...Object.fromEntries(inherited),
    npm_config_cache: cacheDir,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
}

/**
 * The example's package.json with the registry versions swapped for what is on this machine: the packed
 * tarball, and the peers linked from this repository (a link outside the project is used as it is; npm
 * neither copies it nor installs into it).
 */
function consumerPackageJson(tarball: string): string {
  const example = JSON.parse(readFileSync(path.join(CONSUMER_EXAMPLE, "package.json"), "utf8")) as {
    readonly dependencies: Record<string, string>;
  };
  const dependencies = Object.fromEntries(
    Object.keys(example.dependencies).map((name) => [
      name,
      name === repoPackage.name ? `file:${tarball}` : `file:${path.join(REPO_ROOT, "node_modules", name)}`,
    ]),
  );
  return `${JSON.stringify({ name: "platform-infrastructure", private: true, dependencies }, null, 2)}\n`;
}

/** Lines only in one of two texts, marked the way a diff does: enough to see what changed in a report. */
function changedLines(before: string, after: string): string {
  const beforeLines = new Set(before.split("\n"));
  const afterLines = new Set(after.split("\n"));
  return [
    ...before
      .split("\n")
      .filter((line) => !afterLines.has(line))
      .map((line) => `- ${line}`),
    ...after
      .split("\n")
      .filter((line) => !beforeLines.has(line))
      .map((line) => `+ ${line}`),
  ].join("\n");
}

const CONSUMERS = {
  typescript: "main.js", // compiled from main.ts by the consumer's own tsc
  commonjs: "main.cjs",
  esm: "main.mjs",
} as const;
type ConsumerKind = keyof typeof CONSUMERS;

let packedFiles: readonly string[] = [];
let packedSource = "";
let typeCheck: Outcome | undefined;
const synths = new Map<ConsumerKind, Outcome & { readonly stackJson?: string }>();
let plan: PlanRun | undefined;
let root = "";

beforeAll(async () => {
  root = scratchFolder("package");
  const env = npmEnvironment(path.join(root, "npm-cache"));

  // 1. npm pack, from the sources: prepack builds dist/ there
  packedSource = path.join(root, "source");
  copyWorkingTree(packedSource);
  const packed = JSON.parse(
    mustRun("npm", ["pack", "--json", "--pack-destination", root], packedSource, env),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(root, packed[0]?.filename ?? "no-tarball");
  packedFiles = (packed[0]?.files ?? []).map((file) => file.path).sort();

  // 2. an empty project of its own that installs the tarball, offline
  const project = path.join(root, "consumer");
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), consumerPackageJson(tarball));
  for (const file of ["tsconfig.json", "main.ts", "main.cjs", "main.mjs"]) {
    copyFileSync(path.join(CONSUMER_EXAMPLE, file), path.join(project, file));
  }
  // Peers are listed by the project itself, so npm need not place them (its peer placement also fails
  // on links outside the project).
  mustRun("npm", ["install", "--offline", "--ignore-scripts", "--legacy-peer-deps"], project, env);

  // 3. build the stack from each kind of consumer
  typeCheck = run(
    process.execPath,
    [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."],
    project,
    env,
  );
  for (const [kind, entry] of Object.entries(CONSUMERS) as [ConsumerKind, string][]) {
    const outdir = path.join(root, `cdktf.out.${kind}`);
    const outcome = run(process.execPath, [entry], project, { ...env, CDKTF_OUTDIR: outdir });
    const stackFile = path.join(outdir, "stacks", STACK_NAME, "cdk.tf.json");
    synths.set(kind, {
      ...outcome,
      ...(existsSync(stackFile) ? { stackJson: readFileSync(stackFile, "utf8") } : {}),
    });
  }

  // 4. validate and plan offline: once, the three stacks being compared byte for byte below
  if (synths.get("typescript")?.stackJson !== undefined) {
    plan = await planStacks({
      synthDir: path.join(root, "cdktf.out.typescript"),
      stackNames: [STACK_NAME],
      scratchDir: path.join(root, "scratch"),
      plansDir: path.join(root, "plans"),
      concurrency: 1,
    });
  }
}, 600_000);

// The packed copy, the project and the plans go as soon as the file is done, not at the end of the run.
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds the build, the handler zip and the changelog, and no sources", () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "CHANGELOG.md",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/lib/ami-guard.js",
        "dist/lib/service-condition-keys.json",
        "dist/assets/remediation-handler.zip",
      ]),
    );
    const outsideDist = packedFiles.filter((file) => !file.startsWith("dist/"));
    expect(outsideDist.sort()).toEqual(["CHANGELOG.md", "README.md", "package.json"]);
    // TypeScript sources of the package itself would put the consumer's compiler flags on them
    expect(packedFiles.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([]);
  });

  it("declares every package its code loads, and no other: the handler's and the app's stay out", () => {
    // Given the packages the built modules require (the handler's SDK clients are inside its zip)
    const required = new Set(
      packedFiles
        .filter((file) => file.endsWith(".js"))
        .flatMap((file) => [
          ...readFileSync(path.join(packedSource, file), "utf8").matchAll(/require\("([^"]+)"\)/g),
        ])
        .map((match) => match[1] as string)
        .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"))
        .map((specifier) =>
          specifier
            .split("/")
            .slice(0, specifier.startsWith("@") ? 2 : 1)
            .join("/"),
        ),
    );
    // Then each is a peer or a dependency, and every dependency is one of them
    const declared = { ...repoPackage.peerDependencies, ...repoPackage.dependencies };
    expect([...required].filter((name) => !(name in declared))).toEqual([]);
    expect(Object.keys(repoPackage.dependencies ?? {}).filter((name) => !required.has(name))).toEqual([]);
    expect([...required].sort()).toEqual(["@cdktf/provider-aws", "cdktf", "constructs"]);
  });

  it("ships the function the app deploys: its zip is byte for byte the one synthesis builds", async () => {
    // Given the zip the app's synthesis makes from the same sources (the loopback and drill suites run it)
    const synthesized = await buildLambdaBundle({ outdir: scratchFolder("package-app-bundle") });
    const packed = readFileSync(path.join(packedSource, "dist", "assets", "remediation-handler.zip"));
    // Then the package carries that very function, not a build of its own
    expect(createHash("sha256").update(packed).digest("base64")).toBe(synthesized.sourceCodeHash);
  });

  it("matches the checked-in API report", () => {
    // Given the report API Extractor makes from the packed declarations
    const config = ExtractorConfig.loadFileAndPrepare(path.join(packedSource, "api-extractor.json"));
    const result = Extractor.invoke(config, {
      localBuild: false,
      messageCallback: (message) => {
        message.handled = true;
      },
    });
    expect(result.errorCount).toBe(0);
    const generated = readFileSync(config.reportTempFilePath, "utf8");
    const checkedIn = readFileSync(path.join(REPO_ROOT, API_REPORT), "utf8");
    // Then it is the reviewed one; otherwise the public API changed without its diff
    if (generated !== checkedIn) {
      throw new Error(
        `${API_REPORT} is out of date: the public API changed. Run \`npm run api\` and commit ${API_REPORT}, ` +
          `so the change is reviewed as a diff:\n${changedLines(checkedIn, generated)}`,
      );
    }
    expect(result.apiReportChanged).toBe(false);
  });
});

describe("a consumer project outside the repository", () => {
  it("type-checks against the package with strict and exactOptionalPropertyTypes", () => {
    expectSucceeded(typeCheck);
  });

  it.each(Object.keys(CONSUMERS) as ConsumerKind[])("synthesizes two teams' pipelines from %s", (kind) => {
    const synth = synths.get(kind);
    expectSucceeded(synth);
    const stack = JSON.parse(synth?.stackJson ?? "{}") as {
      resource?: Record<string, Record<string, { name?: string; filename?: string }>>;
    };
    const rules = Object.values(stack.resource?.aws_config_config_rule ?? {}).map((rule) => rule.name);
    expect(rules.sort()).toEqual(["data-approved-amis", "web-approved-amis"]);
    expect(Object.keys(stack.resource?.aws_lambda_function ?? {})).toHaveLength(2);
  });

  it("builds the same stack from TypeScript, CommonJS and ES modules", () => {
    const [typescript, commonjs, esm] = (["typescript", "commonjs", "esm"] as const).map(
      (kind) => synths.get(kind)?.stackJson,
    );
    expect(typescript).toBeDefined();
    expect(commonjs).toBe(typescript);
    expect(esm).toBe(typescript);
  });

  it("validates and plans offline with real Terraform, with the function code from the package", () => {
    const result = succeeded(plan?.results[0]);
    expect(result.counts.change).toBe(0);
    expect(result.counts.destroy).toBe(0);
    const functions = (result.plan.resource_changes ?? []).filter(
      (change) => change.type === "aws_lambda_function",
    );
    expect(functions).toHaveLength(2);
    const packedZip = readFileSync(path.join(packedSource, "dist", "assets", "remediation-handler.zip"));
    const expectedHash = createHash("sha256").update(packedZip).digest("base64");
    for (const change of functions) {
      expect((change.change as { after?: { source_code_hash?: string } }).after?.source_code_hash).toBe(
        expectedHash,
      );
    }
  });
});
