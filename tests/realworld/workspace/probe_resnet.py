# %% [markdown]
# Which ResNet-18 layers separate the classes best? (exploration notebook, exported with jupytext)

# %%
import torch
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None).eval()
images = torch.rand(2, 3, 64, 64)

# %%
good = create_feature_extractor(model, return_nodes={"layer1.0.relu_1": "low", "layer4": "high"})  # call: r18-good
out = good(images)
print({k: v.shape for k, v in out.items()})

# %%
typo = create_feature_extractor(model, return_nodes=["layer1.0.relu2", "layer4"])  # call: r18-typo
print(typo(images).keys())

# %%
both = create_feature_extractor(model, return_nodes=["layer4", "layer4.1"])  # call: r18-overlap
print(both(images)["layer4.1"].shape)

# %%
wild = create_feature_extractor(model, return_nodes=["layer1.0.relu.1", "layer2"])  # call: r18-dot-wildcard
print(wild(images)["layer1.0.relu.1"].shape)

# %%
same = create_feature_extractor(model, return_nodes={"layer2": "feat", "layer3": "feat"})  # call: r18-duplicate-names
print(len(same(images)))

# %%
bn_only = create_feature_extractor(model, return_nodes=["layer1.0.bn1"])  # call: r18-bn1-alone
bn_relu = create_feature_extractor(model, return_nodes=["layer1.0.bn1", "layer1.0.relu"])  # call: r18-bn1-with-relu
print(bn_only(images)["layer1.0.bn1"].min(), bn_relu(images)["layer1.0.bn1"].min())

# %%
stages = [f"layer{i}" for i in range(1, 5)]
pyramid = create_feature_extractor(model, stages)  # call: r18-comprehension
print([v.shape for v in pyramid(images).values()])
