"""``python -m drillbook.fakes NAME --port N``: run one stand-in (see ``command``)."""

import sys

from drillbook.fakes.command import main

sys.exit(main())
