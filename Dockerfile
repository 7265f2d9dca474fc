# MNIST Lab for any container host. Not built in the development sandbox (it has no
# Docker engine); the commands are the ones docs/deployment.md gives for a plain install.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    # Fewer malloc arenas: TensorFlow's many threads otherwise inflate resident memory.
    MALLOC_ARENA_MAX=2 \
    MNIST_LAB_WORKERS=1 \
    # Runs are written here after every epoch: mount a volume to keep them.
    MNIST_LAB_RUNS=/data/runs

VOLUME ["/data"]

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# The project as a package (docs/deployment.md): the same image serves as a Dask scheduler and worker
# (docker-compose.yml), which start outside /app's code path.
RUN pip install --no-deps .

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"

CMD ["streamlit", "run", "streamlit_app.py", "--server.port=8501", "--server.address=0.0.0.0"]
