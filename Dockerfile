# critmat serve in a container: the REST API and the dashboard on port 8000, the warehouse built at image build.
#   docker build -t critmat . && docker run --rm -p 127.0.0.1:8000:8000 critmat
# Behind a reverse proxy on a sub-path, trusting the proxy's X-Forwarded-* headers (its address as the container
# sees it, e.g. the Docker bridge gateway):
#   docker run --rm -p 127.0.0.1:8000:8000 -e FORWARDED_ALLOW_IPS=172.17.0.1 critmat \
#     critmat serve --host 0.0.0.0 --proxy-headers --root-path /critmat
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 CRITMAT_HOME=/var/lib/critmat
RUN useradd --system --home-dir /var/lib/critmat --create-home critmat
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[web]" && rm -rf /src
USER critmat
RUN critmat build
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health').status != 200)"
CMD ["critmat", "serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
