"""sessiond: keeps derived data up to date from Claude Code session transcripts, exactly once.

One importable package; its parts live in the repository's top-level folders ``daemon/``,
``processors/`` and ``state/``, which ``sessiond/`` links to (symbolic links: every tool --
the editable install, a wheel build, mypy, pytest -- sees one ordinary package, and nothing
named ``daemon``, ``processors`` or ``state`` lands at the top of site-packages).
"""

__version__ = "0.1.0"  # the one version source (pyproject reads it)
