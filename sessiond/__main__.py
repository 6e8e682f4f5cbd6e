"""``python -m sessiond``: the command line."""

from sessiond.daemon.cli import main

raise SystemExit(main())
