"""Operations: what a hosting team needs around the application.

Health probes (``health``) and Prometheus metrics (``metrics``), on the figures
of ``queries``; the request id (``middleware``) and the log format (``logs``).
It reads the applications' tables and writes nothing; the apps never import it.
"""
