"""``python -m pmae.cli``: the ``pmae`` command line."""

from pmae.cli import main

main()
