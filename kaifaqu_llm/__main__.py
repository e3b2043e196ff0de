"""``python -m kaifaqu_llm`` runs the ``kaifaqu`` command."""

import sys

from ._cli import main

sys.exit(main())
