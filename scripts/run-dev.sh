#!/usr/bin/env bash
# Serve eventsapp for `make run`: web server, one Celery worker and one beat,
# all stopped together with Ctrl-C.
set -euo pipefail
port="${1:-5000}"
bin=.venv/bin
# Links in e-mails point at this server unless told otherwise.
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:${port}}"

# Stop our own background jobs (worker, beat), not make's process group.
trap 'kill $(jobs -p) 2>/dev/null' EXIT INT TERM

# Both queues: "mail" (e-mail delivery) and "default" (everything else).
"$bin/celery" -A celery_worker:celery worker --pool=solo --queues=mail,default --loglevel=INFO \
  --hostname="worker@%h" &
"$bin/celery" -A celery_worker:celery beat --loglevel=INFO &

echo
echo "  eventsapp : http://127.0.0.1:${port}"
echo "  (Ctrl-C pour arrêter le serveur, le worker et le beat)"
echo
"$bin/flask" run --host 127.0.0.1 --port "$port"
