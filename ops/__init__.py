"""Operations: what a hosting team needs around the application.

Health probes (``health``) on the figures of ``queries``. It reads the
applications' tables and writes nothing; the apps never import it.
"""
