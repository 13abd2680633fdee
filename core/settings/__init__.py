"""Settings package: ``base`` plus one module per environment.

``DJANGO_SETTINGS_MODULE`` picks the module (``core.settings.development`` by default in
``manage.py``; ``core.settings.testing`` under pytest; ``core.settings.production`` in Docker).
"""
