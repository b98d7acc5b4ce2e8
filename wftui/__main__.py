"""``python -m wftui`` is the ``wftui`` command (used by ``wftui serve`` for each browser tab)."""

import sys

from wftui.cli import main

sys.exit(main())
