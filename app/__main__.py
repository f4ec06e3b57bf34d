"""``python -m app`` — the same as the ``shijian`` command."""

from app.cli import main

raise SystemExit(main())
