import sys

from nn.cli.commands import main

sys.exit(main())
