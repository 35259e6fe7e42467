"""``python -m deltasql``: the command line (see deltasql.cli)."""

import sys

from .cli import main

sys.exit(main())
