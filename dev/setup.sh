#!/usr/bin/env bash
# Creates .venv (if missing) and installs the four packages plus dev tools.
# Re-runs pip only when a pyproject or requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
# Playwright drives Debian's Chromium (/usr/bin/chromium): it never downloads a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi

stamp="$VENV/.reelscan-installed"
digest=$(cat shared/pyproject.toml api-service/pyproject.toml worker-service/pyproject.toml \
             ml-service/pyproject.toml ml-service/requirements-no-deps.txt dev/requirements-dev.txt \
             dev/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "==> installing packages into $VENV (first run downloads torch; this takes a few minutes)"
  "$VENV/bin/pip" install -q -c dev/constraints.txt \
      -e "shared[adapters]" -e api-service -e worker-service -e ml-service -r dev/requirements-dev.txt
  "$VENV/bin/pip" install -q --no-deps -r ml-service/requirements-no-deps.txt
  echo "$digest" > "$stamp"
fi

# System tools the tests use, from Debian's packages when missing:
#   espeak-ng       speaks the sentence in the generated speech test video
#   nginx           runs nginx/nginx.conf in front of the API (nginx -t, proxy tests)
#   docker-compose  validates docker-compose.yml against the compose specification
#   prometheus      for promtool: checks Prometheus' config, alerts and dashboard queries
#   wrk             the HTTP load generator of make bench-scale (16 clients, little CPU)
#   asterisk-core-sounds-en(-wav)  recorded speech with transcripts for make bench-quality (CC-BY-SA-3.0)
#   chromium        the browser that the browser tests (tests/browser, Playwright) drive
missing=()
has() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; }
has espeak-ng || has espeak || missing+=(espeak-ng)
has nginx || missing+=(nginx)
has docker-compose || missing+=(docker-compose)
has promtool || missing+=(prometheus)
has wrk || missing+=(wrk)
[ -d /usr/share/asterisk/sounds/en_US_f_Allison ] || missing+=(asterisk-core-sounds-en-wav asterisk-core-sounds-en)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing ${missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 \
           && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
      || echo "WARNING: could not install ${missing[*]}; the tests that need them will fail" >&2
  else
    echo "WARNING: missing ${missing[*]}: install them (apt-get install ${missing[*]}) for the tests" >&2
  fi
fi

# The web app's npm packages (web/package-lock.json decides their versions), installed
# again when the lock file changed since the last install.
if [ -f web/package-lock.json ]; then
  lock=$(sha256sum web/package-lock.json | cut -d' ' -f1)
  if [ "$(cat web/node_modules/.reelscan-lock 2>/dev/null)" != "$lock" ]; then
    if command -v npm >/dev/null; then
      echo "==> installing the web app's npm packages (npm ci)"
      (cd web && npm ci --no-audit --no-fund --loglevel=error) && echo "$lock" > web/node_modules/.reelscan-lock
    else
      echo "WARNING: npm is missing: install Node.js 20+ to build the web app and run its tests" >&2
    fi
  fi
fi
