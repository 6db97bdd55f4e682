"""Commands of the ``pmae`` command line that live in their own module, added to the group in
:mod:`pmae.cli` with ``cli.add_command``."""
