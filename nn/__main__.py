import sys

try:
    from nn.cli.commands import main
except KeyboardInterrupt:   # Ctrl-C while NumPy loads: the same word as later on
    print("interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
