# The two commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
export VENV

.PHONY: run test setup web web-types docs lint typecheck bench bench-ml bench-ocr bench-objects bench-health bench-scale bench-long bench-quality bench-web screenshots videos clean

setup:
	@bash dev/setup.sh

run: setup web/dist/index.html
	@$(PY) dev/launcher.py

test: setup web/node_modules/.package-lock.json
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(PY) -m pytest
	@npm --prefix web test

# The web app (web/, served by api-service under /app/). Node.js 20+ and npm build it.
NEED_NODE = command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	echo "Node.js 20+ and npm are needed to build the web app (web/): install them (e.g. apt-get install nodejs npm)," \
	     "then run 'make web'." >&2; exit 1; }
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/package.json \
	web/package-lock.json web/vite.config.ts web/tsconfig.json

web: web/node_modules/.package-lock.json
	@$(NEED_NODE)
	@npm --prefix web run build

# npm ci when the lock file is newer than what is installed
web/node_modules/.package-lock.json: web/package-lock.json
	@$(NEED_NODE)
	@npm --prefix web ci --no-audit --no-fund
	@touch $@

# `make run` rebuilds the app when its sources are newer than the build; without Node it warns and goes on.
web/dist/index.html: $(WEB_SOURCES)
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "warning: Node.js/npm not found, the web app (/app/) is not rebuilt; install Node.js 20+ and run 'make web'" >&2; fi

web-types: setup web/node_modules/.package-lock.json
	@$(PY) dev/web_types.py
	@npm --prefix web run gen-types

lint: setup
	@$(VENV)/bin/ruff check .

docs: setup
	@$(PY) dev/gen_docs.py

typecheck: setup
	@$(VENV)/bin/mypy

videos: setup
	@$(PY) dev/sample_videos.py $${VIDEO_PATHS:-videos}

bench: setup
	@$(PY) bench/bench_pipeline.py

bench-ml: setup
	@$(PY) bench/bench_ml.py

bench-ocr: setup
	@$(PY) bench/bench_ocr.py

bench-objects: setup
	@$(PY) bench/bench_objects.py

bench-health: setup
	@$(PY) bench/bench_health.py

bench-scale: setup
	@$(PY) bench/bench_scale.py

bench-long: setup
	@$(PY) bench/bench_long.py

bench-quality: setup
	@$(PY) bench/bench_quality.py

# The web app in Chromium on 10,000 videos and a 60-minute one (figures, no asserts).
bench-web: setup
	@$(PY) bench/bench_web.py

# docs/img/{library,video,search,operations}.png from a stack on generated videos.
screenshots: setup
	@$(PY) dev/screenshots.py docs/img

clean:
	rm -rf .reelscan .pytest_cache .hypothesis
