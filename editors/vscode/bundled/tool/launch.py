"""Starts the shapelens bundled with the VS Code extension: ``python -I launch.py serve``.

Run with ``-I`` (isolated mode: PYTHONPATH, PYTHONHOME and the user site directory are
ignored, and neither the script's directory nor the working directory is put on sys.path),
so the workspace the editor has open can never shadow a module. Because ``-I`` also ignores
PYTHONPATH, this script puts ../libs (filled at package time by scripts/bundle.py: the
shapelens wheel and its pure-Python dependencies) first on sys.path itself. The interpreter's
own site-packages stay after it: the TensorFlow dry run runs in a separate worker process
under this interpreter, where the user's TensorFlow is.
"""

import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")


def main() -> int:
    if sys.version_info < (3, 10):
        sys.stderr.write("shapelens needs Python 3.10 or newer; this is %s (%s)\n"
                         % (sys.version.split()[0], sys.executable))
        return 3
    if not os.path.isdir(os.path.join(LIBS, "shapelens")):
        sys.stderr.write("the extension's bundled shapelens is missing (%s); reinstall the extension\n" % LIBS)
        return 3
    cwd = os.getcwd()
    # Nothing relative and not the working directory (the workspace, when an editor starts us there).
    sys.path[:] = [LIBS] + [p for p in sys.path
                            if p and os.path.isabs(p) and os.path.normcase(p) != os.path.normcase(cwd)]
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        import shapelens
        print(shapelens.__version__)
        return 0
    from shapelens.cli import main as cli
    return cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
