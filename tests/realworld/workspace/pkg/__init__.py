"""Models, feature taps and settings shared by the lab's scripts."""

from .models import MnistNet, SparseGate, build, build_backbone

__all__ = ["MnistNet", "SparseGate", "build", "build_backbone"]
