"""Print the node table of the example model: every name create_feature_extractor accepts."""

from fxlens.fx import build_model, node_table
from tinynet import TinyNet

table = node_table(build_model(TinyNet, width=32).model, [(1, 3, 64, 64)])
eval_names = set(table.names("eval"))
print(f"{'node':<24}{'op':<15}{'target':<28}output")
for node in table.train:
    mark = "" if node.name in eval_names else "   (train only)"
    print(f"{node.name:<24}{node.op:<15}{node.target:<28}{node.output.describe()}{mark}")
