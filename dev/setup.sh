#!/usr/bin/env bash
# Creates .venv (if missing) and installs the four packages plus dev tools.
# Re-runs pip only when a pyproject or requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi

stamp="$VENV/.reelscan-installed"
digest=$(cat shared/pyproject.toml api-service/pyproject.toml worker-service/pyproject.toml \
             ml-service/pyproject.toml dev/requirements-dev.txt dev/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "==> installing packages into $VENV (first run downloads torch; this takes a few minutes)"
  "$VENV/bin/pip" install -q -c dev/constraints.txt \
      -e "shared[adapters]" -e api-service -e worker-service -e ml-service -r dev/requirements-dev.txt
  echo "$digest" > "$stamp"
fi

# espeak-ng speaks the sentence in the generated speech test video.
if ! command -v espeak-ng >/dev/null && ! command -v espeak >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing espeak-ng (apt)"
    (apt-get install -y -qq espeak-ng >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq espeak-ng >/dev/null 2>&1; }) \
      || echo "WARNING: could not install espeak-ng; the speech test video cannot be generated" >&2
  else
    echo "WARNING: espeak-ng is missing; install it (e.g. apt-get install espeak-ng) for the speech tests" >&2
  fi
fi
