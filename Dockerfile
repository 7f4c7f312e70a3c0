FROM python:3.11-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gcc make && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY agent agent
COPY tools tools
COPY channels channels
COPY knowledge knowledge
COPY core core
COPY admin admin
COPY lendline lendline
RUN pip install --no-cache-dir .
ENV LENDLINE_HOST=0.0.0.0
EXPOSE 8000
CMD ["lendline", "serve"]
