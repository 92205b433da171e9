"""``python -m nla_explorer`` is the ``nla-explorer`` command."""

import sys

from nla_explorer.cli import main

sys.exit(main())
