"""Runs the bundled fxlens server (``python serve.py serve --stdio``) with whatever interpreter the
extension chose: ``bundled/libs`` comes first on ``sys.path``, so nothing needs to be installed in it.
The tracing worker gets only the fxlens package on its path (the supervisor sees to that) and
imports the interpreter's own torch."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs"))

from fxlens.cli import main

sys.exit(main())
