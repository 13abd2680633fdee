"""Settings package: ``base`` plus one module per environment.

``DJANGO_SETTINGS_MODULE`` picks the module; ``manage.py``, ``wsgi.py``, ``asgi.py`` and Celery
share one default (``default_settings_module``): the variable from the environment or the
``.env`` file, else ``core.settings.production`` — a forgotten variable never turns DEBUG on.
pytest uses ``core.settings.testing`` (pyproject.toml).
"""

from __future__ import annotations

PRODUCTION = "core.settings.production"


def default_settings_module() -> str:
    """``DJANGO_SETTINGS_MODULE`` from the environment or ``.env``, else production."""
    from .environment import env

    module: str = env.str("DJANGO_SETTINGS_MODULE", default="") or PRODUCTION
    return module
