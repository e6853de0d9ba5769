# GAN Studio: the web app with its shipped checkpoints, CPU-only PyTorch.
#   docker build -t gan-studio .
#   docker run -p 7860:7860 gan-studio
ARG PYTHON_IMAGE=python:3.11-slim

# --- dependencies, in a builder stage so wheels and caches never reach the final image ---
FROM ${PYTHON_IMAGE} AS deps
# Where torch comes from. Default: PyTorch's CPU wheel index (never the multi-GB CUDA wheels).
# Empty: torch from a wheel placed in docker/wheels/ (its small dependencies from PyPI).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/
COPY docker/wheels/ /tmp/wheels/
RUN TORCH=$(grep -E '^torch==' /tmp/requirements.txt) \
 && if [ -n "$TORCH_INDEX_URL" ]; then \
      /opt/venv/bin/pip install --index-url "$TORCH_INDEX_URL" "$TORCH"; \
    else \
      /opt/venv/bin/pip install --find-links /tmp/wheels "$TORCH"; \
    fi \
 && /opt/venv/bin/pip install --find-links /tmp/wheels -r /tmp/requirements.txt \
 # C++ headers and static files are only for building extensions: ~70 MB the app never reads.
 && rm -rf /opt/venv/lib/python3*/site-packages/torch/include \
 && find /opt/venv -name __pycache__ -prune -exec rm -rf {} +

# --- the app ---
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    GAN_CHECKPOINTS=/app/checkpoints \
    GAN_RUNS_DIR=/home/app/runs \
    GAN_CACHE_DIR=/opt/gan-cache
RUN useradd --create-home --uid 1000 app
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY gan/ gan/
COPY studio/ studio/
COPY checkpoints/ checkpoints/
COPY app.py ./
# onnxruntime-web for the in-browser explorer, fetched from npm and checked against its pinned sha512
# at build time (studio/browser_runtime.py), so the container needs no network at run time.
RUN python -m studio.browser_runtime \
 && mkdir -p /opt/gan-cache/graphs && chown app /opt/gan-cache/graphs

USER app
EXPOSE 7860
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('GRADIO_SERVER_PORT', '7860'), timeout=4)"
CMD ["python", "app.py"]
