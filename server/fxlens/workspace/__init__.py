"""Torch-free static analysis of the workspace: syntax, call sites, bindings, model resolution, configuration."""
