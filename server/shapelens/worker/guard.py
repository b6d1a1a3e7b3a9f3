"""What the worker may not do: use more memory than its limit, write files, open sockets,
start processes.

The memory limit (RLIMIT_AS, where the platform has it) is set before TensorFlow is
imported; TensorFlow 2.21 on CPU needs about 1.2 GB of address space to import and build
(measured with MALLOC_ARENA_MAX=2, which the client sets), so the default of 4 GB leaves
room. Weights are never allocated (rebuild.py builds in a StatelessScope), so the limit
holds for models of any size.

The audit hook is installed after the import, so importing TensorFlow may do what it
needs; from then on a build that tries to write a file, connect anywhere or run a program
fails with PermissionError instead.
"""

from __future__ import annotations

import os
import sys

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_BLOCKED_PREFIXES = (
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "subprocess.Popen", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty",
    "os.remove", "os.unlink", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.chown",
    "os.link", "os.symlink", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move",
    "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect",
)


def limit_memory(megabytes: int) -> str | None:
    """Cap the address space; returns a note when it could not be done (e.g. on Windows)."""
    if megabytes <= 0:
        return None
    try:
        import resource
    except ImportError:
        return "no memory limit on this platform"
    limit = megabytes * 1024 * 1024
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError) as exc:
        return f"could not limit memory: {exc}"
    return None


def _writes(event: str, args: tuple) -> bool:
    if event != "open" or len(args) < 2:
        return False
    mode, flags = args[1], args[2] if len(args) > 2 else 0
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _hook(event: str, args: tuple) -> None:
    if _writes(event, args):
        raise PermissionError(f"the shapelens worker does not write files (tried to open {args[0]!r} for writing)")
    if event.startswith(_BLOCKED_PREFIXES):
        raise PermissionError(f"the shapelens worker does not touch the network, the disk or other "
                              f"programs (blocked {event})")


def install() -> None:
    """From now on: no file writes, no sockets, no processes (irrevocable, as audit hooks are)."""
    sys.dont_write_bytecode = True  # lazy imports during a build must not try to write .pyc files
    sys.addaudithook(_hook)
