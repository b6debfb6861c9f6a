"""`python -m gilviz` is the same as the `gilviz` command."""

from gilviz.cli.main import main

raise SystemExit(main())
