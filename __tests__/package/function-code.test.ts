import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { bundledHandlerZipPath, FunctionCode, functionCodeFromZip } from "../../lib/function-code";
import { REPO_ROOT, scratchFolder } from "../terraform/support";

describe("FunctionCode.bundled", () => {
  it("reads the zip inside the built package, beside the module's own folder", () => {
    // Given the layout of an installed package: dist/lib/function-code.js and dist/assets/<zip>
    const dist = path.join(scratchFolder("bundled-code"), "node_modules", "ami-guard", "dist");
    mkdirSync(path.join(dist, "lib"), { recursive: true });
    mkdirSync(path.join(dist, "assets"));
    const zip = path.join(dist, "assets", "remediation-handler.zip");
    writeFileSync(zip, "zip bytes");
    // Then the path resolves there, never outside the package, and the hash is the file's (`openssl dgst -sha256 -binary | base64`)
    expect(bundledHandlerZipPath(path.join(dist, "lib"))).toBe(zip);
    expect(functionCodeFromZip(bundledHandlerZipPath(path.join(dist, "lib"))).sourceCodeHash).toBe(
      "W3onVLOJEw4TjVe6g/Hq5/BaQcZr7Kz6LdIGAUOuZts=",
    );
  });

  it("refuses from the TypeScript sources, naming the missing zip and what to use instead", () => {
    // Given the repository's sources, which hold no built zip beside lib/
    const expected = path.join(REPO_ROOT, "assets", "remediation-handler.zip");
    // Then the call says where it looked and points at functionCodeFromZip
    expect(() => FunctionCode.bundled()).toThrow(`no remediation handler zip at ${expected}`);
    expect(() => FunctionCode.bundled()).toThrow("functionCodeFromZip(<zip>)");
  });
});
