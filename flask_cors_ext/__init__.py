"""flask_cors_ext: the Flask face of :mod:`cors_wsgi` (built in a later step; nothing here yet)."""

__all__: list[str] = []
