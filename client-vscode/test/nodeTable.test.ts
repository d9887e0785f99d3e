// The node view's data: rows in execution order across modes, the module tree, the filter, the reply check.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildModuleTree, buildRows, describeOutput, filterRows, type NodeJson, type NodeTableReply, nodeOrder, parseNodeTableReply } from "../src/nodeTable";

function node(name: string, op: string, extra: Partial<NodeJson> = {}): NodeJson {
  const shape = extra.output === undefined ? { kind: "tensor" as const, tensors: [{ shape: [1, 8], dtype: "float32" }], type_name: "" } : extra.output;
  return { name, op, target: name, module_path: "", module_type: "", overwritten_by: "", ...extra, output: shape };
}

/** A model whose train mode adds an auxiliary head: layer1.0 (conv, relu_ in place), head, aux, add. */
const REPLY: NodeTableReply = {
  title: "Nodes of TwoHeads",
  model: "TwoHeads",
  input: "1×3×8×8 (given)",
  arguments: [],
  table: {
    train: [
      node("x", "placeholder"),
      node("layer1.0.conv", "call_module", { module_path: "layer1.0.conv", module_type: "torch.nn.modules.conv.Conv2d", overwritten_by: "layer1.0.relu_" }),
      node("layer1.0.relu_", "call_method", { target: "Tensor.relu_", module_path: "layer1.0" }),
      node("head", "call_module", { module_path: "head", module_type: "torch.nn.modules.linear.Linear" }),
      node("aux", "call_module", { module_path: "aux", module_type: "torch.nn.modules.linear.Linear" }),
      node("size", "call_method", { target: "Tensor.size", output: { kind: "other", tensors: [], type_name: "int" } }),
      node("add", "call_function", { target: "operator.add" }),
    ],
    eval: [
      node("x", "placeholder"),
      node("layer1.0.conv", "call_module", { module_path: "layer1.0.conv", module_type: "torch.nn.modules.conv.Conv2d", overwritten_by: "layer1.0.relu_" }),
      node("layer1.0.relu_", "call_method", { target: "Tensor.relu_", module_path: "layer1.0" }),
      node("head", "call_module", { module_path: "head", module_type: "torch.nn.modules.linear.Linear", output: { kind: "tensor", tensors: [{ shape: [1, 2], dtype: "float32" }], type_name: "" } }),
      node("softmax", "call_function", { target: "torch.softmax", output: null }),
    ],
  },
  selected: { train: ["layer1.0.relu_", "aux"], eval: ["layer1.0.relu_"] },
};

describe("nodeOrder", () => {
  it("keeps train's order and puts each eval-only node after the node eval runs before it", () => {
    assert.deepEqual(nodeOrder(["x", "a", "t", "b"], ["x", "e0", "a", "b", "e1", "e2"]), ["x", "e0", "a", "t", "b", "e1", "e2"]);
    assert.deepEqual(nodeOrder(["x"], ["first", "x"]), ["first", "x"]);
  });
});

describe("buildRows", () => {
  const rows = buildRows(REPLY);
  const row = (name: string) => rows.find((r) => r.name === name)!;

  it("lists every node of both modes once, in execution order", () => {
    assert.deepEqual(rows.map((r) => r.name), ["x", "layer1.0.conv", "layer1.0.relu_", "head", "softmax", "aux", "size", "add"]);
    assert.deepEqual(rows.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("gives each mode's shape, and marks train-only and eval-only nodes", () => {
    assert.deepEqual(row("head").shapes, { train: "1×8", eval: "1×2" });
    assert.deepEqual(row("aux").shapes, { train: "1×8" });
    assert.equal(row("aux").only, "train only");
    assert.equal(row("softmax").only, "eval only");
    assert.equal(row("softmax").shapes.eval, "?");
    assert.equal(row("head").only, "");
  });

  it("names module calls by their class and other nodes by their target", () => {
    assert.equal(row("layer1.0.conv").what, "Conv2d");
    assert.equal(row("layer1.0.relu_").what, "Tensor.relu_");
  });

  it("marks in-place overwrites, what is not a tensor, and what the call selects per mode", () => {
    assert.deepEqual(row("layer1.0.conv").overwrittenBy, { train: "layer1.0.relu_", eval: "layer1.0.relu_" });
    assert.equal(row("size").tensor, false);
    assert.equal(row("softmax").tensor, true); // unknown output: kept as a possible tensor
    assert.deepEqual(row("layer1.0.relu_").selectedIn, ["train", "eval"]);
    assert.deepEqual(row("aux").selectedIn, ["train"]);
    assert.deepEqual(row("head").selectedIn, []);
  });
});

describe("filterRows", () => {
  const rows = buildRows(REPLY);
  const names = (text: string, tensorsOnly = false) => filterRows(rows, { text, tensorsOnly }).map((r) => r.name);

  it("keeps the rows holding every word, case-insensitively, in name, op, target or module", () => {
    assert.deepEqual(names("LAYER1"), ["layer1.0.conv", "layer1.0.relu_"]);
    assert.deepEqual(names("conv2d"), ["layer1.0.conv"]);
    assert.deepEqual(names("call_module linear"), ["head", "aux"]);
    assert.deepEqual(names("  "), rows.map((r) => r.name));
    assert.deepEqual(names("nothing-like-this"), []);
  });

  it("drops the nodes that return no tensor with tensors only", () => {
    assert.ok(names("").includes("size"));
    assert.ok(!names("", true).includes("size"));
    assert.equal(names("", true).length, rows.length - 1);
  });
});

describe("buildModuleTree", () => {
  const tree = buildModuleTree(buildRows(REPLY));

  it("nests modules by their dotted paths in execution order", () => {
    assert.deepEqual(tree.map((item) => item.path), ["x", "layer1", "head", "softmax", "aux", "size", "add"]);
    const layer1 = tree[1];
    assert.deepEqual(layer1.children.map((item) => item.path), ["layer1.0"]);
    assert.deepEqual(layer1.children[0].children.map((item) => item.label), ["conv", "relu_"]);
    assert.equal(layer1.children[0].children[0].children.length, 0);
  });

  it("says which node each module's path returns as a query, its shape, and whether the call selects it", () => {
    const layer1 = tree[1];
    assert.equal(layer1.returns, "layer1.0.relu_");
    assert.equal(layer1.shape, "1×8");
    assert.equal(layer1.selected, true);
    assert.equal(tree[2].shape, "1×2"); // head: eval's shape first
    assert.equal(tree[2].selected, false);
  });
});

describe("describeOutput", () => {
  it("writes shapes as the server does", () => {
    assert.equal(describeOutput({ kind: "tensor", tensors: [{ shape: [1, 64, 56, 56], dtype: "float32" }], type_name: "" }), "1×64×56×56");
    assert.equal(describeOutput({ kind: "tensor", tensors: [{ shape: [], dtype: "int64" }], type_name: "" }), "scalar int64");
    assert.equal(
      describeOutput({ kind: "sequence", tensors: [{ shape: [1, 10], dtype: "float32" }, { shape: [1, 10], dtype: "float32" }], type_name: "tuple" }),
      "tuple(1×10, 1×10)",
    );
    assert.equal(describeOutput({ kind: "other", tensors: [], type_name: "int" }), "not a tensor (int)");
    assert.equal(describeOutput(null), "?");
  });
});

describe("parseNodeTableReply", () => {
  it("accepts the server's reply and refuses one missing what the view needs", () => {
    assert.equal(parseNodeTableReply(REPLY), REPLY);
    assert.equal(parseNodeTableReply({ ...REPLY, selected: { train: [] } }), undefined);
    assert.equal(parseNodeTableReply({ ...REPLY, table: { train: [{ name: "x" }], eval: [] } }), undefined);
    assert.equal(parseNodeTableReply({ ...REPLY, arguments: [{ kind: "return_nodes", form: "list" }] }), undefined);
    assert.equal(parseNodeTableReply({ ...REPLY, title: 3 }), undefined);
    assert.equal(parseNodeTableReply(null), undefined);
  });
});
