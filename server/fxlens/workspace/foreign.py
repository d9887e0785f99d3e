"""Why a model from outside torchvision, timm and the workspace cannot be built, said for its case.

A saved model (``torch.load``), a compiled or scripted one, a torch module assembled in place and
a third-party package each get the sentence that says what to write instead.
"""

from __future__ import annotations

LOADED = frozenset({"torch.load", "torch.jit.load", "torch.export.load"})
COMPILED = frozenset({"torch.compile", "torch.jit.script", "torch.jit.trace", "torch.jit.freeze"})


def why_foreign(dotted: str, qualified: str) -> str:
    """Why a callable from outside torchvision, timm and the workspace cannot be built, for that callable."""
    package = qualified.split(".")[0]
    if qualified in LOADED:
        return (
            f"`{dotted}` loads a saved model, which fxlens does not open; pass the model built from code "
            "(the class or builder it was saved from)"
        )
    if qualified in COMPILED:
        return f"`{dotted}` compiles the model; pass the model before it is compiled or scripted"
    if package == "torch":
        return (
            f"`{dotted}` builds a torch module in place; fxlens builds models from torchvision, timm or "
            "this workspace: define the network in a function or class of a module and call it"
        )
    return (
        f"`{dotted}` comes from `{package}`, which is neither torchvision, timm nor a module of "
        "this workspace; fxlens cannot build it — wrap it in a function of a workspace module and call that"
    )
