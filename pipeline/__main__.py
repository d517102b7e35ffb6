"""`python -m pipeline` is the `wirebeam` command."""

import sys

from pipeline.cli import main

sys.exit(main())
