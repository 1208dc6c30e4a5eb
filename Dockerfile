# Candor: one image for `candor run` (and `candor migrate`, `candor sentiment`, ...).
# Build stage: the sentiment engine is a C extension, compiled portably so the image runs
# on any x86-64 CPU (CANDOR_E5_ARCH=avx2 for a host you know has AVX2/FMA).
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY surveys ./surveys
COPY storage ./storage
ARG CANDOR_E5_ARCH=portable
ENV CANDOR_E5_ARCH=${CANDOR_E5_ARCH}
RUN python -m venv /opt/candor && /opt/candor/bin/pip install --no-cache-dir .

FROM python:3.11-slim
COPY --from=build /opt/candor /opt/candor
ENV PATH=/opt/candor/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CANDOR_OPS_HOST=0.0.0.0 \
    CANDOR_OPS_PORT=9000 \
    CANDOR_WEBHOOK_HOST=0.0.0.0 \
    CANDOR_SLACK_HOST=0.0.0.0
RUN useradd --system --home /var/lib/candor --create-home candor
USER candor
WORKDIR /var/lib/candor
EXPOSE 8080 3000 9000
# Liveness for plain `docker run`; compose and Kubernetes use /healthz and /readyz directly.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9000/healthz', timeout=2)"
# SIGTERM (docker stop) ends it within 10 s, with nothing acknowledged that is not stored.
STOPSIGNAL SIGTERM
ENTRYPOINT ["candor"]
CMD ["run"]
