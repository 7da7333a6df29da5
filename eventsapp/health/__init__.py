"""Health: /healthz for load balancers, and a task proving the worker works."""
