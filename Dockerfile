# platocr on a CUDA machine. Not built in CI (no Docker engine there); standard layers only.
#   docker build -t platocr .
#   docker run --gpus all -v "$PWD/data:/data" platocr train configs/plates_ru.yaml --out /data/run --train /data/train.tsv --val /data/val.tsv
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-pip libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY configs ./configs
RUN pip install --no-cache-dir ".[train]"

ENTRYPOINT ["platocr"]
CMD ["--help"]
