"""The language server: pygls wiring, the session that drives the worker, one module per feature."""
