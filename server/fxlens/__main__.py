"""``python -m fxlens``: the same as the ``fxlens`` command."""

import sys

from fxlens.cli import main

sys.exit(main())
