"""Which Keras a file will run under: the `keras-version = "auto" | "3" | "2"` setting.

`auto` decides from what the user's environment will actually run, most specific first:

1. the file itself: `import tf_keras` / `from tf_keras ...`, or `TF_USE_LEGACY_KERAS` set to
   "1"/"true" before TensorFlow is imported (`os.environ[...] = "1"`, `os.environ.setdefault`);
2. the project: pins in `requirements*.txt`, `pyproject.toml`, `setup.cfg`, `setup.py`,
   `environment.yml` found upward from the file (`tensorflow<2.16`, `tensorflow==2.15.*`,
   `keras<3`, `keras==2.*`, `tf-keras` ask for Keras 2; `keras>=3`, `tensorflow>=2.16` for Keras 3);
3. the configured interpreter's installed packages, read from their `*.dist-info/METADATA`
   (never by importing them): Keras < 3, or TensorFlow < 2.16, or `TF_USE_LEGACY_KERAS=1`
   in the server's environment with tf-keras installed;
4. otherwise Keras 3 (what TensorFlow 2.16+ ships).

Pure: reads a few small files, never imports or runs anything. Results for project files and
interpreters are cached by path and modification time.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

VERSIONS = ("auto", "3", "2")
PROJECT_FILES = ("requirements.txt", "requirements-dev.txt", "requirements_dev.txt", "pyproject.toml",
                 "setup.cfg", "setup.py", "environment.yml", "environment.yaml")
_ROOT_MARKERS = (".git", ".hg")
_MAX_UP = 12          # directories searched upward
_MAX_BYTES = 200_000  # of any one project file


@dataclass(frozen=True)
class KerasTarget:
    version: str   # "2" | "3"
    reason: str    # shown in hovers / JSON: why this Keras was chosen

    @property
    def label(self) -> str:
        return f"Keras {self.version}"


KERAS3_DEFAULT = KerasTarget("3", "default (Keras 3 ships with TensorFlow 2.16+)")

_LEGACY_ENV = re.compile(
    r"""os\.environ(?:\[\s*['"]TF_USE_LEGACY_KERAS['"]\s*\]\s*=|\.setdefault\(\s*['"]TF_USE_LEGACY_KERAS['"]\s*,)"""
    r"""\s*['"](?:1|true|True|TRUE)['"]""")
_TF_KERAS_IMPORT = re.compile(r"^\s*(?:import\s+tf_keras\b|from\s+tf_keras\b)", re.MULTILINE)


def decide(setting: str, text: str = "", path: str | None = None,
           interpreter: str | None = None, environ: dict[str, str] | None = None) -> KerasTarget:
    """The Keras a file targets. ``setting`` is "auto", "3" or "2" (anything else: auto)."""
    if setting == "3":
        return KerasTarget("3", "keras-version = \"3\" in the settings")
    if setting == "2":
        return KerasTarget("2", "keras-version = \"2\" in the settings")
    found = from_source(text)
    if found is None and path:
        found = from_project(Path(path))
    if found is None:
        found = from_environment(interpreter, os.environ if environ is None else environ)
    return found or KERAS3_DEFAULT


def from_source(text: str) -> KerasTarget | None:
    if not text:
        return None
    if "tf_keras" in text and _TF_KERAS_IMPORT.search(text):  # (the search tries every line start)
        return KerasTarget("2", "the file imports tf_keras")
    if "TF_USE_LEGACY_KERAS" in text and _LEGACY_ENV.search(text):
        return KerasTarget("2", "the file sets TF_USE_LEGACY_KERAS=1")
    return None


# --------------------------------------------------------------------------- project pins

_REQ = re.compile(
    r"""(?ix) (?<![\w.-]) (tensorflow(?:-cpu|-gpu|-macos)?|tf[-_]keras|tf[-_]nightly|keras) \s*
        (\[[^\]]*\])? \s* ((?:(?:==|~=|<=|>=|<|>|!=)\s*[\w.*]+\s*,?\s*)*)""")


def _parse_version(text: str) -> tuple[int, ...]:
    parts = []
    for p in text.split("."):
        m = re.match(r"\d+", p)
        if not m:
            break
        parts.append(int(m.group()))
    return tuple(parts)


def _spec_target(package: str, spec: str) -> str | None:
    """"2", "3" or None for one requirement such as `tensorflow<2.16` or `keras==2.15.0`."""
    package = package.lower().replace("_", "-")
    if package == "tf-keras":
        return "2"
    if package == "tf-nightly":
        return None
    # Keras 3 arrived with keras 3.0 and tensorflow 2.16.
    boundary = (3,) if package == "keras" else (2, 16)
    for op, ver in re.findall(r"(==|~=|<=|>=|<|>|!=)\s*([\w.*]+)", spec):
        v = _parse_version(ver)
        if not v or op == "!=":
            continue
        if op == "==" and ver.endswith("*"):
            return "2" if v < boundary[: len(v)] else "3"
        if op in ("==", "~=", "<="):
            return "2" if v < boundary else "3"
        if op == "<" and v <= boundary:
            return "2"
        if op in (">=", ">") and v >= boundary:
            return "3"
    return None


def pins_in(text: str) -> str | None:
    """The Keras a project file's pins ask for: "2", "3" or None."""
    votes = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        for m in _REQ.finditer(line):
            t = _spec_target(m.group(1), m.group(3) or "")
            if t:
                votes.append(t)
    if "2" in votes:
        return "2"
    if "3" in votes:
        return "3"
    return None


_project_cache: dict[str, tuple[float, str | None]] = {}


def _file_pins(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    key = str(path)
    cached = _project_cache.get(key)
    if cached and cached[0] == st.st_mtime:
        return cached[1]
    result = None
    try:
        if path.is_file():
            with path.open("r", encoding="utf-8", errors="replace") as fh:
                result = pins_in(fh.read(_MAX_BYTES))
    except OSError:
        result = None
    _project_cache[key] = (st.st_mtime, result)
    return result


def from_project(file: Path) -> KerasTarget | None:
    directory = file.parent if file.suffix else file
    for _ in range(_MAX_UP):
        names, is_root = _directory_entries(directory)
        for name in names:
            t = _file_pins(directory / name)
            if t:
                pin = "a Keras 2 pin" if t == "2" else "a Keras 3 pin"
                return KerasTarget(t, f"{pin} in {name}")
        if is_root or directory.parent == directory:
            break
        directory = directory.parent
    return None


# directory -> (its mtime_ns, when it was listed, the project files in it, has a root marker)
_dir_cache: dict[str, tuple[int, int, list[str], bool]] = {}
_RACY_NS = 2_000_000_000  # a listing younger than this after the directory changed is redone


def _directory_entries(directory: Path) -> tuple[list[str], bool]:
    """The project files in a directory (PROJECT_FILES order, then requirements*.txt sorted) and
    whether it holds a root marker. Every analysis asks again for the same directories: the
    listing is kept while the directory's mtime (which changes when an entry is added, removed
    or renamed) stays the same, unless the directory changed within _RACY_NS of the listing
    (coarse file-system clocks), as git does for racily clean entries."""
    key = str(directory)
    try:
        mtime = os.stat(directory).st_mtime_ns
    except OSError:
        mtime = None
    hit = _dir_cache.get(key)
    if hit is not None and mtime is not None and hit[0] == mtime and hit[1] - mtime > _RACY_NS:
        return hit[2], hit[3]
    listed = time.time_ns()
    try:
        names = [n for n in PROJECT_FILES if (directory / n).exists()]
        names += sorted(p.name for p in directory.glob("requirements*.txt") if p.name not in names)
    except OSError:
        names = []
    is_root = any((directory / m).exists() for m in _ROOT_MARKERS)
    if mtime is not None:
        if len(_dir_cache) > 1024:
            _dir_cache.clear()
        _dir_cache[key] = (mtime, listed, names, is_root)
    return names, is_root


# --------------------------------------------------------------------------- installed packages

_METADATA_VERSION = re.compile(r"^Version:\s*(\S+)", re.MULTILINE)
_env_cache: dict[str, tuple[float, dict[str, str]]] = {}


def _site_packages(interpreter: str) -> list[Path]:
    exe = Path(interpreter)
    prefix = exe.parent.parent
    found = []
    for lib in ("lib", "lib64", "Lib"):
        base = prefix / lib
        if (base / "site-packages").is_dir():  # Windows layout
            found.append(base / "site-packages")
        try:
            found += sorted(base.glob("python3*/site-packages"))
        except OSError:
            pass
    return found


def installed_versions(interpreter: str) -> dict[str, str]:
    """{normalised package name: version} for keras, tf-keras and tensorflow*, from dist-info."""
    out: dict[str, str] = {}
    for sp in _site_packages(interpreter):
        try:
            mtime = sp.stat().st_mtime
        except OSError:
            continue
        cached = _env_cache.get(str(sp))
        if cached and cached[0] == mtime:
            out.update(cached[1])
            continue
        versions: dict[str, str] = {}
        for pattern in ("keras-*.dist-info", "tf_keras-*.dist-info", "tensorflow-*.dist-info",
                        "tensorflow_cpu-*.dist-info"):
            for dist in sp.glob(pattern):
                name = dist.name.split("-", 1)[0].lower().replace("_", "-")
                version = dist.name[len(dist.name.split("-", 1)[0]) + 1: -len(".dist-info")]
                versions[name] = version
        _env_cache[str(sp)] = (mtime, versions)
        out.update(versions)
    return out


def from_environment(interpreter: str | None, environ) -> KerasTarget | None:
    if not interpreter:
        return None
    versions = installed_versions(interpreter)
    if not versions:
        return None
    legacy = str(environ.get("TF_USE_LEGACY_KERAS", "")).lower() in ("1", "true")
    if legacy and "tf-keras" in versions:
        return KerasTarget("2", "TF_USE_LEGACY_KERAS=1 with tf-keras installed")
    keras = versions.get("keras")
    if keras and _parse_version(keras)[:1] < (3,):
        return KerasTarget("2", f"keras {keras} is installed")
    tf = versions.get("tensorflow") or versions.get("tensorflow-cpu")
    if tf and _parse_version(tf)[:2] < (2, 16):
        return KerasTarget("2", f"tensorflow {tf} is installed")
    if keras:
        return KerasTarget("3", f"keras {keras} is installed")
    return None
