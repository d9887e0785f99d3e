"""The process that imports torch and traces models, and the supervisor that drives it from torch-free code."""
