# One image for every zerocarbon service (collect, alarms run, dashboard, simulate): docker-compose.yml picks
# the command. Runs as an unprivileged user; state lives in the /var/lib/zerocarbon volume.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY zerocarbon/ zerocarbon/
COPY models/ models/
COPY collectors/ collectors/
COPY storage/ storage/
COPY carbon/ carbon/
COPY alerts/ alerts/
COPY planning/ planning/
COPY simulators/ simulators/
COPY dashboard/ dashboard/
# wheels of the project and every dependency, so the runtime stage needs no compiler and no network to PyPI twice
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# PDF reports (WeasyPrint) need Pango and HarfBuzz; Chinese names in reports need a CJK font
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 zerocarbon \
 && useradd --system --uid 10001 --gid zerocarbon --home-dir /var/lib/zerocarbon --create-home \
      --shell /usr/sbin/nologin zerocarbon
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels zerocarbon && rm -rf /wheels
WORKDIR /app
COPY config/ /app/config/
ENV PYTHONUNBUFFERED=1 \
    ZEROCARBON_SITE=/app/config/site.yaml \
    ZEROCARBON_DATA_DIR=/var/lib/zerocarbon \
    ZEROCARBON_HEALTH_PORT=9108
USER zerocarbon:zerocarbon
VOLUME ["/var/lib/zerocarbon"]
# 8050 dashboard, 9108 /health and /metrics (zerocarbon.health)
EXPOSE 8050 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "zerocarbon.health"]
ENTRYPOINT ["zerocarbon"]
CMD ["--help"]
