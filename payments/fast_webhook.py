"""Asaas's webhook acknowledged without DRF's dispatch and the middleware chain (the outer
middleware's work done by ``core.api.outer``): the same checks and the same store, a fraction
of the cost (``FastWebhookMiddleware``, second in ``MIDDLEWARE``).

A ``POST`` to the webhook's URL is answered here when it is the common case: within
``WEBHOOK_MAX_BYTES``, within the webhook throttle (counted here, in the same Redis round trip
the throttle makes, and never counted twice), with the right token, a body the view's parser
accepts and an event ``webhook_event_store`` stores or finds (a duplicate). The answer is
the view's (``webhook_answer``: stored and committed before it, its processing requested once
the store commits). Anything else — a refused throttle, a wrong token, a body too large or
invalid, an event the store refuses, a client that does not take JSON, the cache without
``hit_window``, a database fault — is answered by the whole stack, as before. As on the fast
read path, the connection's health-check round trip is skipped: on a dead connection the
store fails before anything is written, and the whole stack, which checks the connection,
answers. ``FAST_WEBHOOKS=false`` turns it off; ``payments/tests/test_fast_webhook.py`` holds
the parity with the whole stack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny

from core.api.fastread import (
    XFRAME_MIDDLEWARE,
    Unserved,
    client_check,
    health_check_skipped,
    outer_stand_in,
    served_or_passed_on,
)
from core.api.outer import FAST, ServedResponse
from core.api.renderers import FastJSONRenderer
from core.api.throttling import ScopedRateThrottle, anonymous_window_of, prehit_store
from core.exceptions import BusinessRuleError
from payments.services import webhooks

logger = logging.getLogger("payments.fast_webhook")


class _Webhook:
    """The webhook view as this path serves it: its path, headers and throttle."""

    def __init__(self) -> None:
        from payments.views import AsaasWebhookView

        view_class = AsaasWebhookView
        facts = {
            "authentication": list(view_class.authentication_classes) == [],
            "permission": list(view_class.permission_classes) == [AllowAny],
            "throttles": list(view_class.throttle_classes) == [ScopedRateThrottle],
            "renderer": list(view_class.renderer_classes)[:1] == [FastJSONRenderer],
            "own post only": all(
                name not in vars(view_class)
                for name in ("dispatch", "initial", "get_throttles", "finalize_response")
            ),
        }
        wrong = [name for name, ok in facts.items() if not ok]
        if wrong:
            raise Unserved(f"AsaasWebhookView: not the same {', '.join(wrong)}")
        self.path = reverse("asaas-webhook")
        self.view = view_class()
        self.renderer = FastJSONRenderer()
        self.headers = {"Allow": ", ".join(self.view.allowed_methods), "Vary": "Accept"}
        if XFRAME_MIDDLEWARE in settings.MIDDLEWARE:
            self.headers["X-Frame-Options"] = str(settings.X_FRAME_OPTIONS)

    def serve(self, request: HttpRequest) -> HttpResponse:
        client_check(request)
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.WEBHOOK_MAX_BYTES:
            raise Unserved("too large")
        self._throttle(request)
        # request.headers["asaas-access-token"], without building request.headers from every
        # META key.
        if not webhooks.webhook_token_is_valid(request.META.get("HTTP_ASAAS_ACCESS_TOKEN")):
            raise Unserved("token")
        from payments.views import webhook_answer, webhook_body_parse

        try:
            payload = webhook_body_parse(request.body)
            with health_check_skipped():
                event, created = webhooks.webhook_event_store(payload=payload)
        except (APIException, BusinessRuleError) as error:
            raise Unserved("body") from error
        return self._respond(webhook_answer(event, created))

    def _throttle(self, request: HttpRequest) -> None:
        hit_window = getattr(cache, "hit_window", None)
        if hit_window is None:
            raise Unserved("throttle")
        counter = anonymous_window_of(self.view, request)
        if counter is None:
            return
        window, seconds, allowed = counter
        hit = hit_window(window, seconds)
        # From here the hit is counted: the whole stack must not count it again.
        prehit_store(request, window, hit)
        if hit is not None and hit[0] > allowed:
            raise Unserved("throttled")

    def _respond(self, data: dict[str, Any]) -> HttpResponse:
        return ServedResponse.json(self.renderer.render(data, "application/json", {}), self.headers)


class FastWebhookMiddleware:
    """Serves the webhook's common case (see the module's docstring); the rest passes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.webhook: _Webhook | None = None
        self.unserved = False
        self.outer = outer_stand_in(FAST[1])

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method != "POST"
            or not getattr(settings, "FAST_WEBHOOKS", False)
            or self.outer is None
        ):
            return self.get_response(request)
        if self.webhook is None and not self.unserved:
            try:
                self.webhook = _Webhook()
            except Unserved as reason:
                logger.warning("fast webhook: served by the whole stack (%s)", reason)
                self.unserved = True
        webhook = self.webhook
        if webhook is None or request.path_info != webhook.path:
            return self.get_response(request)
        return served_or_passed_on(request, webhook.serve, self.get_response, "webhook", self.outer)
