"""gunicorn settings read by every ``gunicorn core.wsgi:application`` started from the project
root (Docker image, docker compose, run_tests.sh).

The access log names the path without its query string (``%(U)s``) and no referer: query
strings carry search terms such as a patient's CPF or name, and none of it may reach a log.
"""

accesslog = "-"
# Ends with the response's X-Request-ID: the line joins the app's log lines of that request.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" '
    "request_id=%({x-request-id}o)s"
)


def worker_exit(server: object, worker: object) -> None:
    """A worker that stops (graceful stop, max_requests) writes its buffered access-log records
    first, the batch its writer thread may be writing included (core/audit.py)."""
    from core.audit import access_log_buffer

    access_log_buffer.stop()
