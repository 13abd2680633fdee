"""``/v3/webhooks``: configurations per account, one queue each, interrupted/removeBackoff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from payments.emulator import EmulatorServer

from .conftest import VALID_CPF, Api, Receiver, future, webhook_log

MakePayment = Callable[..., dict[str, Any]]
RESPONSE_KEYS = {
    "id", "name", "url", "email", "enabled", "interrupted", "apiVersion", "hasAuthToken",
    "sendType", "penalizedRequestsCount", "events",
}  # fmt: skip
TOKEN = "whk-token-" + "a1b2" * 8


def _config(url: str, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Medical API",
        "url": url,
        "email": "ops@example.com",
        "sendType": "SEQUENTIALLY",
        "authToken": TOKEN,
        "events": ["PAYMENT_CREATED", "PAYMENT_RECEIVED"],
    }
    body.update(fields)
    return body


def test_crud_and_shape(api: Api, receiver: Receiver) -> None:
    created = api.ok("POST", "/v3/webhooks", _config(receiver.url))
    assert set(created) == RESPONSE_KEYS
    assert created["hasAuthToken"] is True
    assert "authToken" not in created
    assert (created["enabled"], created["interrupted"], created["apiVersion"]) == (True, False, 3)
    assert created["penalizedRequestsCount"] == 0
    path = f"/v3/webhooks/{created['id']}"
    assert api.ok("GET", path) == created
    listed = api.ok("GET", "/v3/webhooks")
    assert (listed["totalCount"], listed["data"]) == (1, [created])
    updated = api.ok("PUT", path, {"sendType": "NON_SEQUENTIALLY", "authToken": None})
    assert (updated["sendType"], updated["hasAuthToken"]) == ("NON_SEQUENTIALLY", False)
    assert updated["name"] == "Medical API"
    assert api.ok("DELETE", path) == {"deleted": True, "id": created["id"]}
    assert api.get(path).status_code == 404


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": ""}, "invalid_name"),
        ({"url": "ftp://x"}, "invalid_url"),
        ({"sendType": "RANDOM"}, "invalid_sendType"),
        ({"events": []}, "invalid_events"),
        ({"events": ["payment created"]}, "invalid_events"),
        ({"authToken": "short"}, "invalid_authToken"),
        ({"authToken": "has space " + "x" * 32}, "invalid_authToken"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"enabled": "yes"}, "invalid_enabled"),
    ],
)
def test_validation(api: Api, fields: dict[str, Any], code: str) -> None:
    body = {**_config("http://127.0.0.1:1/h"), **fields}
    response = api.post("/v3/webhooks", body)
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [code]


def test_at_most_ten_per_account(api: Api) -> None:
    for n in range(10):
        api.ok("POST", "/v3/webhooks", _config(f"http://127.0.0.1:1/h{n}"))
    response = api.post("/v3/webhooks", _config("http://127.0.0.1:1/h11"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_action"


def test_account_queue_gets_only_its_selected_events_with_its_token(
    api: Api, control: Api, emulator: EmulatorServer, receiver: Receiver,
    make_payment: MakePayment, subaccount: dict[str, Any],
) -> None:  # fmt: skip
    api.ok("POST", "/v3/webhooks", _config(receiver.url))
    payment = make_payment()
    api.ok("PUT", f"/v3/payments/{payment['id']}", {"description": "x"})  # not selected
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    # another account's events never reach this configuration
    sub = Api(emulator.url, subaccount["apiKey"])
    other = sub.ok("POST", "/v3/customers", {"name": "Outro", "cpfCnpj": VALID_CPF})
    sub.ok(
        "POST",
        "/v3/payments",
        {"customer": other["id"], "billingType": "PIX", "value": 10, "dueDate": future()},
    )
    webhook_log(control)
    assert [r["body"]["event"] for r in receiver.requests] == [
        "PAYMENT_CREATED",
        "PAYMENT_RECEIVED",
    ]
    assert {r["headers"]["asaas-access-token"] for r in receiver.requests} == {TOKEN}
    assert {r["body"]["payment"]["id"] for r in receiver.requests} == {payment["id"]}


def test_interrupted_queue_is_reactivated_by_put_and_backoff_removed(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    receiver.default_status = 500
    config = api.ok("POST", "/v3/webhooks", _config(receiver.url))
    path = f"/v3/webhooks/{config['id']}"
    first = make_payment()
    webhook_log(control)  # idle once interrupted after 15 failures
    paused = api.ok("GET", path)
    assert paused["interrupted"] is True
    assert paused["penalizedRequestsCount"] == 1
    assert len(receiver.requests) == 15
    api.ok("POST", f"/v3/sandbox/payment/{first['id']}/confirm")
    assert len(receiver.requests) == 15  # stored, not sent while interrupted
    receiver.default_status = 200
    resumed = api.ok("PUT", path, {"interrupted": False})
    assert resumed["interrupted"] is False
    webhook_log(control)
    events = [r["body"]["event"] for r in receiver.accepted()]
    assert events == ["PAYMENT_CREATED", "PAYMENT_RECEIVED"]
    assert api.ok("GET", path)["penalizedRequestsCount"] == 0
    # an operator may also pause it explicitly
    assert api.ok("PUT", path, {"interrupted": True})["interrupted"] is True


def test_remove_backoff_retries_the_penalized_head_at_once(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    control.ok("POST", "/_emulator/config", {"webhook_retry_scale": 1000})  # huge penalties
    receiver.statuses = [500, 500]
    config = api.ok("POST", "/v3/webhooks", _config(receiver.url))
    make_payment()
    receiver.wait_for(2)
    assert api.ok("GET", f"/v3/webhooks/{config['id']}")["penalizedRequestsCount"] == 1
    assert len(receiver.requests) == 2  # the third try would wait 30 000 s
    backoff = api.ok("POST", f"/v3/webhooks/{config['id']}/removeBackoff")
    assert backoff["id"] == config["id"]
    accepted = receiver.wait_for(3)
    assert [r["status"] for r in accepted] == [500, 500, 200]


def test_default_queue_from_the_cli_still_gets_every_event(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    control.ok("POST", "/_emulator/config", {"webhook_url": receiver.url})
    api.ok("POST", "/v3/webhooks", _config("http://127.0.0.1:9/other", events=["PAYMENT_DELETED"]))
    make_payment()
    log = webhook_log(control)
    assert [r["body"]["event"] for r in receiver.accepted()] == ["PAYMENT_CREATED"]
    assert {q["id"] for q in log["queues"]} >= {"default"}
    assert len(log["queues"]) == 2


def test_non_sequential_configuration_and_disabled_one(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    api.ok(
        "POST",
        "/v3/webhooks",
        _config(receiver.url, sendType="NON_SEQUENTIALLY", events=["PAYMENT_CREATED"]),
    )
    api.ok("POST", "/v3/webhooks", _config(receiver.url + "/off", enabled=False))
    created = {make_payment()["id"] for _ in range(6)}
    log = webhook_log(control)
    assert {r["body"]["payment"]["id"] for r in receiver.accepted()} == created
    assert len(receiver.requests) == 6  # nothing for the disabled configuration
    mine = [e for e in log["events"] if e["webhook"] != "default"]
    assert {e["status"] for e in mine} == {"DELIVERED"}
