"""``python -m mach2``: the same as the ``mach2`` command."""

from mach2.cli.main import main

main()
