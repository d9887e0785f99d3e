"""Train the FPN neck and the linear probes on frozen backbone features."""

import torch
from pkg.features import MultiScale, ProbeConfig, fpn_features, linear_probe


def main() -> None:
    images = torch.rand(1, 3, 224, 224)
    neck_input = MultiScale()
    print([f.shape for f in neck_input(images)])
    fpn = fpn_features()
    print({k: v.shape for k, v in fpn(images).items()})
    probe = linear_probe(ProbeConfig())
    print({k: v.shape for k, v in probe(images).items()})


if __name__ == "__main__":
    main()
