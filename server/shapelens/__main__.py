import os
import sys

# `python -m shapelens` puts the working directory first on sys.path. Editors start the
# server with a neutral working directory, but if one does not, a project's own typing.py
# or logging.py must still never be imported (and so run) by the server: drop that entry
# before anything else is imported.
if sys.path and sys.path[0] in ("", os.getcwd()) and not os.path.isfile(os.path.join(sys.path[0] or ".", "shapelens", "__init__.py")):
    del sys.path[0]

from shapelens.cli import main  # noqa: E402

raise SystemExit(main())
