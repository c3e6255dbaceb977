"""RQ entry points (thin), the queue, and the periodic schedule."""
