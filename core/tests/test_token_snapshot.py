"""The cached user snapshot of JWT authentication follows every change that matters: no user
SELECT while nothing changes, and permissions, group membership and professional links take
effect on the next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core.api.token_user import SnapshotCaller, user_from_snapshot, user_snapshot_build
from core.operators import operator_group_ensure
from core.tests.access_fixtures import make_user
from core.tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db
PROTECTED = "/api/professionals/"


def bearer(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def test_a_cached_snapshot_reads_no_user_row(django_assert_max_num_queries: Any) -> None:
    client = bearer(make_user("retrato", is_staff=True))
    assert client.get(PROTECTED).status_code == 200  # builds the snapshot
    with django_assert_max_num_queries(3) as captured:
        assert client.get(PROTECTED).status_code == 200
    assert not [q for q in captured.captured_queries if '"auth_' in q["sql"]]


def test_leaving_the_group_or_the_group_losing_its_permissions_takes_effect_at_once() -> None:
    operator = make_user("operadora-retrato", is_staff=True)
    other = make_user("outra-operadora", is_staff=True)
    client, other_client = bearer(operator), bearer(other)
    assert client.get(PROTECTED).status_code == 200
    assert other_client.get(PROTECTED).status_code == 200

    operator.groups.remove(operator_group_ensure())
    assert client.get(PROTECTED).status_code == 403

    group: Group = operator_group_ensure()
    group.permissions.clear()  # many users at once: the auth epoch moves
    assert other_client.get(PROTECTED).status_code == 403


def test_linking_a_login_to_a_professional_takes_effect_at_once() -> None:
    login = make_user("novo-vinculo")
    client = bearer(login)
    assert client.get(PROTECTED).status_code == 403  # no role yet

    professional = ProfessionalFactory.create(user=login)

    response = client.get(PROTECTED)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [professional.pk]


def test_a_remembered_token_is_still_refused_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime as dt

    from rest_framework_simplejwt import tokens
    from rest_framework_simplejwt.utils import aware_utcnow

    from core.api import token_user

    token = RefreshToken.for_user(make_user("lembrado", is_staff=True)).access_token
    token.set_exp(lifetime=dt.timedelta(minutes=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(PROTECTED).status_code == 200
    assert str(token).encode() in token_user._validated_tokens  # validated once, remembered
    # A minute and a second later (the clock every expiry check reads), not a sleep: a first
    # request slower than a short lifetime made this test fail now and then.
    later = aware_utcnow() + dt.timedelta(seconds=61)
    monkeypatch.setattr(token_user, "aware_utcnow", lambda: later)
    monkeypatch.setattr(tokens, "aware_utcnow", lambda: later)
    response = client.get(PROTECTED)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert str(token).encode() not in token_user._validated_tokens


def test_a_new_signing_key_forgets_the_remembered_tokens(settings: Any) -> None:
    from core.api import token_user

    client = bearer(make_user("chave-antiga", is_staff=True))
    assert client.get(PROTECTED).status_code == 200
    assert token_user._validated_tokens
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-key-" + "x" * 40}
    assert not token_user._validated_tokens


def test_unlinking_a_loaded_professionals_login_takes_effect_at_once() -> None:
    from django.core.cache import cache

    from core.api.token_user import EPOCH_KEY
    from professionals.models import Professional

    login = make_user("desvinculo")
    created = ProfessionalFactory.create(user=login)
    client = bearer(login)
    assert client.get(PROTECTED).status_code == 200

    loaded = Professional.objects.get(pk=created.pk)  # remembers the login it was loaded with
    epoch = cache.get(EPOCH_KEY)
    loaded.preferred_name = "Outro nome"
    loaded.save()
    assert cache.get(EPOCH_KEY) == epoch  # the link did not change: snapshots stay good

    loaded.user = None
    loaded.save()
    assert cache.get(EPOCH_KEY) != epoch
    assert client.get(PROTECTED).status_code == 403


def test_loading_professionals_sends_no_post_init() -> None:
    """The login a professional was loaded with is kept by its ``from_db``, not by a
    ``post_init`` receiver (a signal sent for every row of every page)."""
    from django.db.models.signals import post_init

    from professionals.models import Professional

    assert not post_init.has_listeners(Professional)


@pytest.mark.parametrize(
    ("extra", "active"),
    [
        ({"is_staff": True}, True),
        ({"is_staff": True}, False),
        ({"is_staff": True, "is_superuser": True}, True),
        ({"is_staff": True, "is_superuser": True}, False),
        ({}, True),
    ],
)
def test_the_snapshot_caller_answers_as_the_user_it_stands_for(
    extra: dict[str, Any], active: bool
) -> None:
    user = make_user(f"quem{len(extra)}{active}", **extra)
    if not active:
        user.is_active = False
        user.save()
    professional = ProfessionalFactory.create(user=user) if not extra else None
    snapshot = user_snapshot_build(user.pk, epoch=0)
    assert snapshot is not None
    caller = SnapshotCaller.of(snapshot)
    built = user_from_snapshot(snapshot)
    assert (caller.pk, caller.username, caller.is_staff) == (
        built.pk,
        built.get_username(),
        built.is_staff,
    )
    assert caller.professional_id == (None if professional is None else professional.pk)
    perms = [
        "appointments.view_appointment",
        "appointments.view_patient",
        "auth.delete_user",
        "x.y",
    ]
    assert [caller.has_perm(perm) for perm in perms] == [built.has_perm(perm) for perm in perms]
    assert any(caller.has_perm(perm) for perm in perms) == (active and bool(extra))
