"""`python -m desktop` opens the DigitLab window."""

import sys

from desktop.app import main

sys.exit(main())
