"""``python -m catalina_py``: the same commands as ``bin/catalina.sh``."""

import sys

from .bootstrap import main

sys.exit(main())
