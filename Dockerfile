# GAN Studio: the web app with its shipped checkpoints, CPU-only PyTorch.
#   docker build -t gan-studio .
#   docker run -p 7860:7860 gan-studio
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

# Where torch comes from. Default: PyTorch's CPU wheel index (never the multi-GB CUDA wheels).
# Empty: install from wheels placed in docker/wheels/ (offline builds, tests).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    GAN_CHECKPOINTS=/app/checkpoints

RUN useradd --create-home --uid 1000 app
WORKDIR /app

# Dependency layer first: rebuilt only when requirements or wheels change, not on code edits.
COPY requirements.txt ./
COPY docker/wheels/ /tmp/wheels/
RUN TORCH=$(grep -E '^torch==' requirements.txt) \
 && if [ -n "$TORCH_INDEX_URL" ]; then \
      python -m pip install --index-url "$TORCH_INDEX_URL" "$TORCH"; \
    else \
      python -m pip install --no-index --find-links /tmp/wheels "$TORCH"; \
    fi \
 && python -m pip install --find-links /tmp/wheels -r requirements.txt \
 && rm -rf /tmp/wheels

COPY gan/ gan/
COPY studio/ studio/
COPY checkpoints/ checkpoints/
COPY app.py ./

USER app
EXPOSE 7860
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('GRADIO_SERVER_PORT', '7860'), timeout=4)"
CMD ["python", "app.py"]
