"""``python -m cors_wsgi``: see :mod:`cors_wsgi.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
