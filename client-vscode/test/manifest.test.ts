// The contributed settings, commands and defaults in package.json agree with the code and the server contract.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import manifest from "../package.json";
import lockfile from "../package-lock.json";
import { type SettingsReader, toOptions } from "../src/options";
import { RULES, SEVERITIES } from "../src/rules";
import { RESTART_COMMAND, SHOW_LOG_COMMAND, SHOW_NODES_COMMAND } from "../src/commands";
import { DEFAULT_IMPORT_STRATEGY } from "../src/bundle";

const properties = manifest.contributes.configuration.properties as Record<
  string,
  { default?: unknown; scope?: string; properties?: Record<string, { enum: string[] }> }
>;

describe("package.json", () => {
  it("targets the VS Code that vscode-languageclient 9 requires", () => {
    const client = lockfile.packages["node_modules/vscode-languageclient"] as { version: string; engines: { vscode: string } };
    assert.match(client.version, /^9\./);
    assert.equal(manifest.engines.vscode, client.engines.vscode);
    assert.ok(!("extensionDependencies" in manifest), "the Python extension must stay optional");
  });

  it("activates on Python files and in a folder of Python code, and declares limited support for untrusted workspaces", () => {
    // A folder with Python at its top starts the server and its worker before a file is opened.
    assert.deepEqual(manifest.activationEvents, [
      "onLanguage:python",
      "workspaceContains:*.py",
      "workspaceContains:*.ipynb",
      "workspaceContains:pyproject.toml",
      "workspaceContains:requirements.txt",
    ]);
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ["fxlens.interpreter"]);
  });

  it("contributes a severity setting for every rule code, and only those", () => {
    const rules = properties["fxlens.rules"].properties ?? {};
    assert.deepEqual(Object.keys(rules), Object.keys(RULES));
    for (const rule of Object.values(rules)) {
      assert.deepEqual(rule.enum, [...SEVERITIES]);
    }
  });

  it("gives each option the same default as the client's mapping", () => {
    const defaults: SettingsReader = { get: <T>(key: string) => properties[`fxlens.${key}`]?.default as T | undefined };
    const fromManifest = toOptions(defaults, true, { home: "/h", workspaceFolder: undefined });
    const fromNothing = toOptions({ get: () => undefined }, true, { home: "/h", workspaceFolder: undefined });
    assert.deepEqual(fromManifest, fromNothing);
    const optionKeys = Object.keys(fromNothing).filter((key) => key !== "executeCode");
    const clientOnly = ["trace.server", "importStrategy"];
    const settingKeys = Object.keys(properties).map((key) => key.replace(/^fxlens\./, "")).filter((key) => !clientOnly.includes(key));
    assert.deepEqual(settingKeys.sort(), optionKeys.sort());
  });

  it("contributes the commands with their palette titles", () => {
    const titles = Object.fromEntries(manifest.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    assert.equal(titles[RESTART_COMMAND], "fxlens: Restart Server");
    assert.equal(titles[SHOW_NODES_COMMAND], "fxlens: Show Nodes");
    assert.equal(titles[SHOW_LOG_COMMAND], "fxlens: Show Server Log");
  });

  it("turns quick suggestions on inside Python strings, with values VS Code accepts", () => {
    const quick = manifest.contributes.configurationDefaults["[python]"]["editor.quickSuggestions"];
    assert.equal(quick.strings, "on");
    for (const value of Object.values(quick)) {
      assert.ok(["on", "inline", "off"].includes(value));
    }
  });

  it("scopes the interpreter setting so that a remote window's User settings show it (machine scopes are hidden there)", () => {
    assert.equal(properties["fxlens.interpreter"].scope, "resource");
  });

  it("offers the bundled and the installed server, the bundle by default", () => {
    const strategy = properties["fxlens.importStrategy"] as { default?: unknown; enum?: string[] };
    assert.deepEqual(strategy.enum, ["useBundled", "fromEnvironment"]);
    assert.equal(strategy.default, DEFAULT_IMPORT_STRATEGY);
  });

  it("has a trace setting for the client id `fxlens`", () => {
    assert.equal(properties["fxlens.trace.server"].default, "off");
  });
});
