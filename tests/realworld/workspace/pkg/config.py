"""Experiment settings shared by the training and probing scripts."""

TAPS = {"layer2": "c3", "layer3": "c4", "layer4": "c5"}  # nodes: fpn-config-taps

# the torchvision ResNet stages the detector neck reads; reused for every backbone we try
BACKBONE_NODES = {"layer3": "mid", "layer4": "out"}  # nodes: hub-resnet50 mobilenet-backbone-nodes

MOBILE_TAPS = ["features.3", "features.8", "features.12"]  # nodes: mobilenet-positional-weights

NUM_CLASSES = 10
