"""Health of the app and of each backing service it is configured to use."""

from flask import jsonify

from mes_web.api import api
from mes_web.selectors.health import service_checks


@api.get("/health")
def health():
    # Public on purpose: load balancers and compose health checks carry no token.
    checks = service_checks()
    healthy = all(check["status"] == "ok" for check in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503
