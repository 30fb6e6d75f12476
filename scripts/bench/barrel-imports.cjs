// Preloaded (node --require) by the synth bench to build the very same stacks through the provider's
// barrel import: every deep `@cdktf/provider-aws/lib/<resource>` is answered from `require("@cdktf/provider-aws")`.
const Module = require("node:module");

const originalRequire = Module.prototype.require;
const deepImport = /^@cdktf\/provider-aws\/lib\/([a-z0-9-]+)$/;
const camelCase = (name) => name.replace(/-([a-z0-9])/g, (_, letter) => letter.toUpperCase());

Module.prototype.require = function requireThroughBarrel(id, ...rest) {
  const match = deepImport.exec(id);
  if (!match) return originalRequire.call(this, id, ...rest);
  const barrel = originalRequire.call(this, "@cdktf/provider-aws");
  const namespace = barrel[camelCase(match[1])];
  if (!namespace) throw new Error(`the barrel has no namespace for ${id}`);
  return namespace;
};
