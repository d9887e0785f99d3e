"""Dump intermediate MNIST activations for the t-SNE plots."""

import torch
from pkg.models import MnistNet
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

LAYERS = {"conv1": "conv1", "relu_1": "block2", "fc1": "embedding"}  # nodes: mnist-constant


def main() -> None:
    model = MnistNet()
    model.eval()
    train_nodes, eval_nodes = get_graph_node_names(model)  # call: mnist-node-names
    print(len(train_nodes), len(eval_nodes))

    extractor = create_feature_extractor(model, return_nodes=LAYERS)  # call: mnist-constant
    x = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        features = extractor(x)
    for name, value in features.items():
        print(name, tuple(value.shape))

    # the batch-norm output before and after the in-place ReLU
    bn = create_feature_extractor(model, return_nodes=["bn1"])  # call: mnist-bn1-alone
    bn_relu = create_feature_extractor(model, return_nodes=["bn1", "relu"])  # call: mnist-bn1-with-relu
    print(bn(x)["bn1"].mean(), bn_relu(x)["bn1"].mean())


if __name__ == "__main__":
    main()
