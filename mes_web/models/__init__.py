from mes_web.models.access import ApiToken, Role, User
from mes_web.models.audit import Event
from mes_web.models.jobs import Job, JobStatus
from mes_web.models.production import Batch, Product, WorkCenter
from mes_web.models.webhooks import PING, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "PING",
    "ApiToken",
    "Batch",
    "DeliveryStatus",
    "Event",
    "Job",
    "JobStatus",
    "Product",
    "Role",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkCenter",
]
