"""Embeddings of the evaluation set from the backbones in the model zoo."""

import torch
import torch.nn.functional as F
from pkg import SparseGate, build_backbone
from torchvision.models import inception_v3
from torchvision.models.feature_extraction import create_feature_extractor

EMBEDDING_NODES = {name: name.replace(".", "_") for name in ["Mixed_6e", "Mixed_7c"]}  # nodes: inception-resized


def embed_inception(images: torch.Tensor) -> dict[str, torch.Tensor]:
    model = inception_v3(weights=None, init_weights=False).eval()
    extractor = create_feature_extractor(model, return_nodes=EMBEDDING_NODES)  # call: inception-resized
    resized = F.interpolate(images, size=(299, 299), mode="bilinear")
    return extractor(resized)


def embed_digits() -> dict[str, torch.Tensor]:
    net = build_backbone("mnist")
    digits = create_feature_extractor(net, return_nodes={"fc1": "embedding"})  # call: mnist-factory
    return digits(torch.randn(8, 1, 28, 28))


def embed_efficientnet(images: torch.Tensor) -> None:
    net = build_backbone("efficientnet")
    flat = create_feature_extractor(net, return_nodes=["flatten"])  # call: effnet-flatten-alone
    flat_drop = create_feature_extractor(net, return_nodes=["flatten", "classifier.0"])  # call: effnet-flatten-dropout
    print(flat(images)["flatten"].shape, flat_drop(images)["flatten"].shape)


def embed_gated() -> None:
    gate = SparseGate()
    gated = create_feature_extractor(gate, return_nodes=["stem", "mul"])  # call: sparse-gate
    print({k: v.shape for k, v in gated(torch.randn(4, 3, 32, 32)).items()})


if __name__ == "__main__":
    photos = torch.rand(1, 3, 224, 224)
    print({k: v.shape for k, v in embed_inception(photos).items()})
    print(embed_digits()["embedding"].shape)
    embed_efficientnet(photos)
    embed_gated()
