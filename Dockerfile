# dadkhah on Airflow. docker-compose.yml builds this image once and runs every Airflow
# service from it.
#
# Base: the official *slim* image, which holds Airflow core and nothing else. On top of it
# goes requirements/runtime.txt: the run-time subset of requirements/lock.txt (the set the
# tests run with), at exactly the same versions, without the test and lint tools and without
# the embedded PostgreSQL (the image is always given a database URL). runtime.txt pins
# apache-airflow to the base image's version, and it is named again on the pip line, so pip
# leaves Airflow as it is. The full (non-slim) image is the wrong base: its extra providers
# (FAB and others) are pinned by Airflow's constraints, and those pins clash with the lock
# (python-dateutil 4, SQLAlchemy 2.1).
#
# The build ends with `pip check`, so a dependency clash fails here, loudly, rather than
# at run time. The project's build backend (setuptools, wheel) is pinned in pyproject.toml.

ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:slim-${AIRFLOW_VERSION}-python${PYTHON_VERSION}

ARG AIRFLOW_VERSION
# Extra requirements beyond requirements/runtime.txt (empty: it already pins the celery
# provider that the compose `celery` profile needs).
ARG CELERY_REQUIREMENTS=""

ENV DADKHAH_HOME=/opt/dadkhah \
    DADKHAH_OUTLETS_FILE=/opt/dadkhah/config/outlets.yaml \
    DADKHAH_TOPICS_FILE=/opt/dadkhah/config/topics.yaml \
    DADKHAH_DATA_DIR=/opt/dadkhah/data \
    DADKHAH_ARCHIVE_DIR=/opt/dadkhah/data/archive \
    DADKHAH_REPLAY_ENV=/opt/dadkhah/replay-env \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

USER root
# The archive lives on a named volume mounted at /opt/dadkhah/data. A new volume takes the
# ownership of this directory, so the airflow user can write to it from the start.
RUN mkdir -p /opt/dadkhah/data/archive \
    && chown -R airflow:0 /opt/dadkhah \
    && chmod -R g+rwX /opt/dadkhah
USER airflow
WORKDIR /opt/dadkhah

# 1. The dependencies: the run-time lock (a cached layer until it changes).
COPY --chown=airflow:0 requirements/runtime.txt requirements/runtime.txt
RUN pip install "apache-airflow==${AIRFLOW_VERSION}" -r requirements/runtime.txt ${CELERY_REQUIREMENTS}

# 2. The project. It is installed in editable mode, so its package data, config/ and schema/
#    stay under /opt/dadkhah exactly as in a checkout. --no-deps: step 1 already installed
#    every dependency, pinned.
COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 pipeline/ pipeline/
COPY --chown=airflow:0 spiders/ spiders/
COPY --chown=airflow:0 schema/ schema/
COPY --chown=airflow:0 config/ config/
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 docker/healthcheck.py docker/healthcheck.py
COPY --chown=airflow:0 requirements/replay.txt requirements/replay.txt
RUN pip install --no-deps -e . \
    && pip check \
    && cd / && python -c "import airflow, pipeline.archive, pipeline.extraction, schema, spiders.run, scrapy, trafilatura; \
assert airflow.__version__ == '${AIRFLOW_VERSION}', airflow.__version__" \
    && python -c "import importlib.util as u, sys; bad = [m for m in ('pytest', 'ruff', 'pgserver') if u.find_spec(m)]; \
sys.exit(f'dev-only packages in the image: {bad}' if bad else 0)" \
    && dadkhah --help >/dev/null

# 3. The replay server (`dadkhah replay`, the compose `replay` service): pywb in its own
#    virtualenv from requirements/replay.txt (hashed pins; they clash with the main lock, see
#    pipeline/replay/server.py), built here so that the container never installs at run time.
RUN dadkhah replay --prepare && /opt/dadkhah/replay-env/bin/wayback --version
