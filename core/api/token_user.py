"""JWT authentication without a user SELECT per request: the user's snapshot is cached.

A request with an access token needs of its user: is it active, is the token's password
digest still the current one (``CHECK_REVOKE_TOKEN``), is it staff or superuser, which model
permissions it has and which professional it is. Those facts are cached (the project cache:
Redis in production, one round trip) as a *snapshot* keyed by the user id and stamped with the
*auth epoch*; the request gets a user instance built from it, with every other column left
deferred (read from the database on first use, so nothing stale is ever shown).

Revocation is honoured as before:

* password change, deactivation, deletion, a change of groups or permissions of the user:
  their snapshot is deleted (at once and again when the transaction commits), so the next
  request reads the database and refuses the token;
* a change that may touch many users (a group's permissions, a professional linked to or
  unlinked from a login) bumps the epoch: every snapshot is stale at once;
* logout blacklists the refresh token (access tokens live 15 min, as before);
* the absolute session lifetime is checked on refresh (``core.api.sessions``).

A change made behind the ORM's back (``QuerySet.update``, raw SQL) reaches the snapshot within
``AUTH_SNAPSHOT_SECONDS`` (60 s); with the cache down every request reads the database (the
cache degrades to misses, ``core.degraded``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from .throttling import NOT_COUNTED, PREHITS_ATTRIBUTE, prehit_store, user_window_for

SNAPSHOT_KEY = "auth:user:v1:{}"
EPOCH_KEY = "auth:epoch:v1"
USER_FIELDS = ("id", "username", "is_active", "is_staff", "is_superuser")


def snapshot_seconds() -> int:
    return int(getattr(settings, "AUTH_SNAPSHOT_SECONDS", 60))


def _current_epoch(cached: dict[str, Any]) -> int:
    epoch = cached.get(EPOCH_KEY)
    if isinstance(epoch, int):
        return epoch
    cache.add(EPOCH_KEY, 0, timeout=None)
    value = cache.get(EPOCH_KEY, 0)
    return value if isinstance(value, int) else 0


def user_snapshot_build(user_id: Any, epoch: int) -> dict[str, Any] | None:
    """The facts a request needs about the user, read from the database (2–3 queries)."""
    user_model = get_user_model()
    user = (
        user_model.objects.select_related("professional")
        .filter(**{api_settings.USER_ID_FIELD: user_id})
        .first()
    )
    if user is None:
        return None
    perms: list[str] = []
    if user.is_active and not user.is_superuser:
        perms = sorted(user.get_all_permissions())
    professional = getattr(user, "professional", None)
    return {
        "epoch": epoch,
        "user": {name: getattr(user, name) for name in USER_FIELDS},
        "digest": get_md5_hash_password(user.password),
        "perms": perms,
        "professional": None
        if professional is None
        else {"id": professional.pk, "user_id": professional.user_id},
    }


def _partial_instance(model: Any, values: dict[str, Any]) -> Any:
    """An instance as the ORM loads it with ``only(...)``: the other columns deferred."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", names, [values[name] for name in names])


def user_from_snapshot(snapshot: dict[str, Any]) -> Any:
    """A user instance with the snapshot's columns loaded and the others deferred."""
    user_model = get_user_model()
    user = _partial_instance(user_model, snapshot["user"])
    if not snapshot["user"]["is_superuser"]:  # superusers have every permission
        perms = set(snapshot["perms"])
        user._perm_cache = perms
        user._user_perm_cache = perms
        user._group_perm_cache = perms
    professional_row = snapshot["professional"]
    field: Any = user_model._meta.get_field("professional")
    if professional_row is None:
        field.set_cached_value(user, None)
    else:
        professional_model = field.related_model
        professional = _partial_instance(professional_model, professional_row)
        field.set_cached_value(user, professional)
        professional_model._meta.get_field("user").set_cached_value(professional, user)
    return user


@dataclass(frozen=True, slots=True)
class SnapshotCaller:
    """Who a snapshot says the caller is: what the fast reads check and audit, without the
    user instance ``user_from_snapshot`` builds (a tenth of a fast detail's CPU)."""

    pk: Any
    username: str
    is_staff: bool
    #: ``User.has_perm`` of the snapshot's user (the default backend, its cache filled).
    active_superuser: bool
    perms: frozenset[str]
    professional_id: Any

    @classmethod
    def of(cls, snapshot: dict[str, Any]) -> SnapshotCaller:
        user = snapshot["user"]
        professional = snapshot["professional"]
        return cls(
            pk=user["id"],
            username=user[get_user_model().USERNAME_FIELD],
            is_staff=user["is_staff"],
            active_superuser=user["is_active"] and user["is_superuser"],
            perms=frozenset(snapshot["perms"]) if user["is_active"] else frozenset(),
            professional_id=None if professional is None else professional["id"],
        )

    @property
    def actor(self) -> tuple[Any, str]:
        """The audit record's actor (``access_log_record``): id and username."""
        return self.pk, self.username

    def has_perm(self, perm: str) -> bool:
        """As ``user_from_snapshot(snapshot).has_perm(perm)`` answers with ``ModelBackend``."""
        return self.active_superuser or perm in self.perms


def user_snapshot_get(user_id: Any, *, request: Any = None) -> dict[str, Any] | None:
    """The cached snapshot if current, else one built from the database (and cached).

    With the DRF ``request`` being authenticated, the user throttle's hit for its view is
    counted in the same Redis round trip (``core.api.throttling.user_window_for``) — unless
    it was counted already (by ``core.api.fastread``, which then left the request to us)."""
    key = SNAPSHOT_KEY.format(user_id)
    window = user_window_for(request, user_id) if request is not None else None
    get_many_and_hit = getattr(cache, "get_many_and_hit", None)
    counted = getattr(request, PREHITS_ATTRIBUTE, None) or {}
    if window is not None and get_many_and_hit is not None and window[0] not in counted:
        both = get_many_and_hit([key, EPOCH_KEY], *window)
        cached, hit = both if both is not None else ({}, NOT_COUNTED)
        prehit_store(request, window[0], hit)
    else:
        cached = cache.get_many([key, EPOCH_KEY])
    return snapshot_current(user_id, cached)


def snapshot_current(user_id: Any, cached: dict[str, Any]) -> dict[str, Any] | None:
    """The snapshot among ``cached`` (what ``get_many([SNAPSHOT_KEY, EPOCH_KEY])`` read) if
    current, else one built from the database (and cached)."""
    key = SNAPSHOT_KEY.format(user_id)
    epoch = _current_epoch(cached)
    snapshot = cached.get(key)
    if isinstance(snapshot, dict) and snapshot.get("epoch") == epoch:
        return snapshot
    snapshot = user_snapshot_build(user_id, epoch)
    if snapshot is not None:
        cache.set(key, snapshot, timeout=snapshot_seconds())
    return snapshot


def snapshot_refusal(
    validated_token: Any, snapshot: dict[str, Any] | None
) -> AuthenticationFailed | None:
    """Why the token's user may not act (the error ``JWTAuthentication`` raises), or None."""
    if snapshot is None:
        return AuthenticationFailed(str(_("User not found")), code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not snapshot["user"]["is_active"]:
        return AuthenticationFailed(str(_("User is inactive")), code="user_inactive")
    if (
        api_settings.CHECK_REVOKE_TOKEN
        and validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != snapshot["digest"]
    ):
        return AuthenticationFailed(
            str(_("The user's password has been changed.")), code="password_changed"
        )
    return None


def user_snapshot_forget(user_id: Any) -> None:
    """Drop the user's snapshot now and once the current transaction commits."""
    key = SNAPSHOT_KEY.format(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def auth_epoch_bump() -> None:
    """Every snapshot becomes stale (now and once the current transaction commits)."""

    def bump() -> None:
        try:
            cache.incr(EPOCH_KEY)
        except ValueError:  # missing (or the cache is down: snapshots are not read then)
            cache.set(EPOCH_KEY, 1, timeout=None)

    bump()
    transaction.on_commit(bump)


#: Access tokens already validated by this process (signature, claims), by their raw bytes.
VALIDATED_TOKENS_MAX = 2048
_validated_tokens: dict[bytes, Any] = {}
_validated_lock = threading.Lock()


def validated_tokens_clear(**kwargs: Any) -> None:
    """Forget every validated token (``setting_changed``: a new key or token settings)."""
    with _validated_lock:
        _validated_tokens.clear()


class SnapshotJWTAuthentication(JWTAuthentication):
    """simplejwt's ``JWTAuthentication`` whose user comes from the cached snapshot.

    A token's signature and claims are checked once per process: decoding and verifying a
    JWT is a fixed cost of every request, and the answer for the same bytes does not change,
    except with time, so a remembered token is still checked for expiry on every use.
    """

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = _validated_tokens.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
            except TokenError:
                with _validated_lock:
                    _validated_tokens.pop(raw_token, None)
            else:
                return token
        token = super().get_validated_token(raw_token)
        with _validated_lock:
            if len(_validated_tokens) >= VALIDATED_TOKENS_MAX:
                _validated_tokens.pop(next(iter(_validated_tokens)))
            _validated_tokens[raw_token] = token
        return token

    def authenticate(self, request: Any) -> Any:
        self._request = request  # an instance per request (DRF): read by get_user
        return super().authenticate(request)

    def get_user(self, validated_token: Any) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken(
                str(_("Token contained no recognizable user identification"))
            ) from error
        snapshot = user_snapshot_get(user_id, request=getattr(self, "_request", None))
        refusal = snapshot_refusal(validated_token, snapshot)
        if refusal is not None:
            raise refusal
        assert snapshot is not None
        return user_from_snapshot(snapshot)


# --- invalidation (connected in core.apps) ------------------------------------------------------


def forget_saved_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` of the user model."""
    if instance.pk is not None:
        user_snapshot_forget(instance.pk)


def forget_user_m2m(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    """``m2m_changed`` of the user's groups/permissions, or of a group's permissions."""
    if not action.startswith("post_"):
        return
    user_model = get_user_model()
    if isinstance(instance, user_model) and not reverse:
        user_snapshot_forget(instance.pk)
    else:  # a group's members or permissions, a permission's holders: many users at once
        auth_epoch_bump()


def bump_on_professional_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` of a professional whose login link changed (or that is
    deleted with one): every snapshot naming it may be stale."""
    if kwargs.get("raw"):
        return
    from professionals.models import LOADED_USER_ATTRIBUTE

    before = getattr(instance, LOADED_USER_ATTRIBUTE, None)
    now = instance.__dict__.get("user_id")
    if kwargs.get("created") or "created" not in kwargs:  # new or deleted: linked at all?
        changed = now is not None or before is not None
    else:
        changed = before != now
    if not changed:
        return
    setattr(instance, LOADED_USER_ATTRIBUTE, now)
    auth_epoch_bump()


class SnapshotJWTScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
    """The OpenAPI security scheme: the same ``jwtAuth`` bearer scheme as simplejwt's."""

    target_class = "core.api.token_user.SnapshotJWTAuthentication"
