"""gunicorn settings for production (compose.yml); every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
# Sync workers: the scan path is short and waits on PostgreSQL, so a few workers per core keep it busy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
accesslog = "-"
control_socket_disable = True
