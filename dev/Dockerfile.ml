# ml-service: inference. torch/torchvision are pinned together (see dev/constraints.txt);
# the 2.14.1 wheels carry their CUDA libraries and also run on CPU.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY dev/constraints.txt /app/constraints.txt
COPY shared /app/shared
COPY ml-service /app/ml-service
RUN pip install -c /app/constraints.txt /app/shared /app/ml-service \
 && useradd --system --uid 10001 --create-home reelscan \
 && mkdir -p /models && chown reelscan /models
USER reelscan
EXPOSE 8001
ENV ML_HOST=0.0.0.0 ML_PORT=8001 MODEL_CACHE_DIR=/models
CMD ["reelscan-ml"]
