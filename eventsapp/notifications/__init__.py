"""Notifications: the outbox of e-mails and tasks, sent after the commit.

``service`` records (``enqueue_email``, ``enqueue_task``) and delivers
(``deliver_email``); ``dispatch`` hands committed rows to Celery and relays
stragglers; ``tasks`` are the Celery tasks; ``mailer`` composes and sends
(SMTP, files, memory); ``views`` is the dev mailbox.
"""
