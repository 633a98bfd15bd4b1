# One image for the custom exporters and the receiver (docker-compose.yml picks the module).
# The generator is installed too but not used at run time; the image holds no config and no
# secrets: both are mounted.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY generator ./generator
COPY exporters ./exporters
COPY receiver ./receiver
RUN pip install . && useradd --system --uid 10001 --home-dir /var/lib/receiver monitoring \
    && mkdir -p /var/lib/receiver && chown monitoring /var/lib/receiver

USER 10001
EXPOSE 8080 9091 9116 9117
CMD ["python", "-m", "receiver", "--listen=0.0.0.0:8080"]
