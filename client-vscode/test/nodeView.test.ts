// The node view's page and messages: a strict Content-Security-Policy with a nonce, nothing remote,
// theme colours only; the webview's messages are checked; the code lens's command arguments are read.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contentSecurityPolicy, newNonce, nodeViewHtml } from "../src/nodeViewHtml";
import { parseFromView } from "../src/nodeViewMessages";
import { showNodesTarget } from "../src/protocol";

const SOURCES = { scriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/nodeView.js", nonce: "n0nce" };

describe("nodeViewHtml", () => {
  const html = nodeViewHtml(SOURCES);

  it("allows only this page's nonce for scripts and styles, and nothing else by default", () => {
    assert.equal(contentSecurityPolicy(SOURCES), "default-src 'none'; script-src 'nonce-n0nce'; style-src 'nonce-n0nce'");
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(SOURCES)}">`));
    assert.deepEqual([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]), [`<script nonce="n0nce" src="${SOURCES.scriptUri}">`]);
    assert.deepEqual([...html.matchAll(/<style\b[^>]*>/g)].map((m) => m[0]), ['<style nonce="n0nce">']);
    assert.ok(!/\son\w+=/.test(html), "no inline event handlers");
  });

  it("loads nothing remote and takes every colour from the theme", () => {
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    assert.deepEqual(urls, [SOURCES.scriptUri]);
    assert.ok(!/#[0-9a-f]{3,6}\b|rgb\(/i.test(html), "no hard-coded colours");
    assert.ok(html.includes("var(--vscode-editor-foreground)") && html.includes("var(--vscode-editor-background)"));
  });

  it("has the filter box, the tensors-only toggle, the module tree and the node table", () => {
    for (const id of ["filter", "tensors-only", "tree", "rows", "title", "input", "error"]) {
      assert.ok(html.includes(`id="${id}"`), id);
    }
  });

  it("gets a fresh nonce each time", () => {
    assert.notEqual(newNonce(), newNonce());
    assert.match(newNonce(), /^[A-Za-z0-9_-]{24}$/);
  });
});

describe("parseFromView", () => {
  it("takes ready and picks of node names and module paths, and nothing else", () => {
    assert.deepEqual(parseFromView({ type: "ready" }), { type: "ready" });
    assert.deepEqual(parseFromView({ type: "pick", name: "layer1.0.relu_1" }), { type: "pick", name: "layer1.0.relu_1" });
    assert.equal(parseFromView({ type: "pick", name: '"]); import os' }), undefined);
    assert.equal(parseFromView({ type: "pick" }), undefined);
    assert.equal(parseFromView("ready"), undefined);
  });
});

describe("showNodesTarget", () => {
  it("reads the code lens's [uri, {line, character}] and nothing from the command palette", () => {
    assert.deepEqual(showNodesTarget("file:///w/a.py", { line: 4, character: 12 }), { uri: "file:///w/a.py", position: { line: 4, character: 12 } });
    assert.equal(showNodesTarget(undefined, undefined), undefined);
    assert.equal(showNodesTarget("file:///w/a.py", { line: "4", character: 0 }), undefined);
  });
});
