# %%
import torch
from torchvision.models import googlenet, inception_v3
from torchvision.models.feature_extraction import create_feature_extractor

# %%
net = inception_v3(weights=None, aux_logits=True, init_weights=False)
batch = torch.randn(2, 3, 299, 299)

# %%
pooled = create_feature_extractor(
    net, return_nodes={"Mixed_7c": "mixed", "avgpool": "pooled"}
)  # call: inception-eval-taps
pooled.eval()
print({k: v.shape for k, v in pooled(batch).items()})

# %%
aux = create_feature_extractor(net, return_nodes=["Mixed_6e", "AuxLogits.fc"])  # call: inception-aux-in-return-nodes
print(aux(batch).keys())

# %%
split = create_feature_extractor(  # call: inception-split-modes
    net,
    train_return_nodes=["Mixed_6e", "AuxLogits.fc"],
    eval_return_nodes=["Mixed_6e"],
)
split.train()
print(split(batch).keys())

# %%
g = googlenet(weights=None, aux_logits=True, init_weights=False)
aux1 = create_feature_extractor(g, return_nodes={"inception4a": "mid", "aux1.fc2": "aux"})  # call: googlenet-aux1
print(aux1(batch).keys())
