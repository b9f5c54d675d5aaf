"""The common kernel of Zhoujing Cloud Window (舟警云窗).

Only what every service needs: settings, auth, the database, errors, logging, idempotency,
health and metrics, and the event bus (envelope, outbox, inbox, broker).
"""
