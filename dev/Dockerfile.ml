# ml-service: inference. The torch wheel from PyPI carries its CUDA libraries and also
# runs on CPU; torch and torchvision are pinned together in dev/constraints.txt.
# Build from the repository root: docker compose build ml-service

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY dev/constraints.txt /src/constraints.txt
# The heavy, rarely changing layer first: code changes do not reinstall torch.
RUN pip install -c /src/constraints.txt torch torchvision
COPY shared /src/shared
COPY ml-service /src/ml-service
RUN pip install -c /src/constraints.txt /src/shared /src/ml-service \
 && pip install --no-deps -r /src/ml-service/requirements-no-deps.txt

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH ML_HOST=0.0.0.0 ML_PORT=8001 MODEL_CACHE_DIR=/models
# OpenCV (pulled in by ultralytics and easyocr) needs libGL and glib at import time.
# Versions are left to the Debian release so security updates apply on rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 reelscan \
 && useradd --system --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin reelscan \
 && mkdir -p /models \
 && chown 10001:10001 /models
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8001
VOLUME ["/models"]
# /ready: healthy once the ML_PRELOAD models are loaded (a first start may load for minutes).
HEALTHCHECK --interval=15s --timeout=5s --start-period=600s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/ready', timeout=4)"]
CMD ["reelscan-ml"]
