"""gunicorn settings for openday (`gunicorn -c openday/gunicorn_conf.py wsgi:app`).

Every worker is stateless: sessions live in signed cookies, rate-limit counters in Redis when
OPENDAY_RATELIMIT_STORAGE_URI points there, data in the database, so any number of app servers
can sit behind one load balancer.
"""
import os

bind = os.environ.get("OPENDAY_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("OPENDAY_WORKERS", "2"))
threads = int(os.environ.get("OPENDAY_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 20_000          # recycle workers now and then, bounding memory growth
max_requests_jitter = 2_000
accesslog = os.environ.get("OPENDAY_ACCESS_LOG") or None
# Access logs show paths; manage tokens live in paths, so log the route's pattern-free form only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
