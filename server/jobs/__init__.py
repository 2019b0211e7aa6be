"""Background jobs: thumbnails, PDFs and publication deliveries, off the request path.

A job is a row (models.BackgroundJob) written in the transaction of the write that needs it, so
a job exists exactly when its cause committed. After the commit it is handed on (queue.py):

- with REDIS_URL set, to RQ workers on Redis (`flask jobs worker`, queue "spotcheck");
- otherwise it runs in the process that committed it, right after the request.

Either way the row is the truth: a runner claims it with a conditional UPDATE (so two runners
never do the same job), a failure is retried with exponential backoff, a job that keeps failing
(or fails in a way retrying cannot fix) goes `dead` and is listed in the console (后台任务) with
a retry button. A runner killed mid-job leaves its claim to expire (JOBS_LEASE_SECONDS), after
which `flask jobs run` (cron) or a worker takes the job again; handlers are idempotent.

Handlers live with their domain, in `server/<domain>/jobs.py` (registry.py finds them).
Publication keeps its own outbox (server/publication/outbox.py) and is dispatched the same way.
"""
