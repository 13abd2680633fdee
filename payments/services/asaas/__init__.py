"""Internals of the Asaas v3 client.

Import from ``payments.services.asaas_service`` (the public import point), not from these
modules: ``errors`` (exception hierarchy), ``payloads`` (JSON without floats, scrubbing),
``types`` (typed results), ``transport`` (HTTP, retries, logging) and ``client``
(``AsaasService``, one method per endpoint).
"""
