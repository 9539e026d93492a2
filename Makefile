# The two commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
export VENV

.PHONY: run test setup lint typecheck bench bench-ml bench-ocr bench-health bench-scale bench-long bench-quality bench-web screenshots videos clean

setup:
	@bash dev/setup.sh

run: setup
	@$(PY) dev/launcher.py

test: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(PY) -m pytest

lint: setup
	@$(VENV)/bin/ruff check .

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
