"""Integrations with other frameworks, each behind its own extra
(``payproc[celery]``: :mod:`payproc.integrations.celery`)."""
