"""``python -m speechbrain_slimmable.cli``."""

import sys

from speechbrain_slimmable.cli.parser import main

sys.exit(main())
