"""``python -m tinygrad_edu`` runs the command line (see cli.py)."""

from .cli import main

raise SystemExit(main())
