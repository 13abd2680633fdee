from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from payments.emulator import EmulatorServer

from .conftest import Api, Receiver, control_api, start_emulator, webhook_log

MakePayment = Callable[..., dict[str, Any]]


def configure(control: Api, **settings: Any) -> dict[str, Any]:
    return control.ok("POST", "/_emulator/config", settings)


def test_delivery_payload_and_token_header(
    control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    config = configure(control, webhook_url=receiver.url, webhook_token="segredo-" + "x" * 32)
    assert config["has_webhook_token"] is True
    assert "webhook_token" not in config
    payment = make_payment()
    [request] = receiver.wait_for(1)
    assert request["headers"]["asaas-access-token"] == "segredo-" + "x" * 32
    assert request["headers"]["content-type"] == "application/json"
    body = request["body"]
    assert set(body) == {"id", "event", "dateCreated", "payment"}
    assert re.fullmatch(r"evt_[0-9a-f]{32}&\d+", body["id"])
    assert body["event"] == "PAYMENT_CREATED"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body["dateCreated"])
    assert body["payment"] == payment
    assert '"netValue":98.01' in request["raw"]
    log = webhook_log(control)
    assert log["events"][0]["status"] == "DELIVERED"
    assert log["events"][0]["attempts"][0]["statusCode"] == 200


def test_no_token_means_no_header(
    control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    configure(control, webhook_url=receiver.url)
    make_payment()
    [request] = receiver.wait_for(1)
    assert "asaas-access-token" not in request["headers"]


def test_only_200_counts_and_the_id_repeats(
    control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    receiver.statuses = [201, 204, 500, 404]
    configure(control, webhook_url=receiver.url)
    make_payment()
    requests_seen = receiver.wait_for(5)
    assert [r["status"] for r in requests_seen] == [201, 204, 500, 404, 200]
    assert len({r["body"]["id"] for r in requests_seen}) == 1
    event = webhook_log(control)["events"][0]
    assert [a["statusCode"] for a in event["attempts"]] == [201, 204, 500, 404, 200]
    assert (event["status"], event["deliveries"]) == ("DELIVERED", 1)


def test_unreachable_url_is_a_failure(
    control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    configure(control, webhook_url="http://127.0.0.1:9/unreachable")
    make_payment()
    # Pause only once the first delivery was tried (the dispatcher runs in its own thread).
    deadline = time.monotonic() + 10
    while not webhook_log(control, wait=0)["events"][0]["attempts"]:
        assert time.monotonic() < deadline, "no delivery attempt within 10 s"
        time.sleep(0.02)
    control.ok("POST", "/_emulator/webhooks/pause")
    log = webhook_log(control)
    assert log["events"][0]["status"] == "PENDING"
    assert log["events"][0]["attempts"][0]["error"]
    assert log["events"][0]["attempts"][0]["statusCode"] is None


def test_queue_pauses_after_15_failures_and_resumes(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    receiver.default_status = 500
    configure(control, webhook_url=receiver.url)
    first = make_payment()
    log = webhook_log(control)  # idle once the queue is interrupted
    assert log["interrupted"] is True
    assert log["consecutiveFailures"] == 15
    assert len(receiver.requests) == 15
    confirmed = api.ok("POST", f"/v3/sandbox/payment/{first['id']}/confirm")
    assert webhook_log(control)["pending"] == 2
    assert len(receiver.requests) == 15  # nothing is sent while paused

    receiver.default_status = 200
    assert control.ok("POST", "/_emulator/webhooks/resume") == {"interrupted": False}
    log = webhook_log(control)
    assert (log["interrupted"], log["pending"]) == (False, 0)
    accepted = receiver.accepted()
    assert [r["body"]["event"] for r in accepted] == ["PAYMENT_CREATED", "PAYMENT_RECEIVED"]
    assert accepted[1]["body"]["payment"]["status"] == confirmed["status"] == "RECEIVED"
    assert accepted[0]["body"]["id"] == receiver.requests[0]["body"]["id"]


def test_sequential_order_with_head_of_line_blocking(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    receiver.statuses = [500, 500]  # the head fails twice; nothing may overtake it
    configure(control, webhook_url=receiver.url)
    control.ok("POST", "/_emulator/webhooks/pause")
    payment = make_payment()
    path = f"/v3/payments/{payment['id']}"
    api.ok("PUT", path, {"description": "alterada"})
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    api.ok("POST", f"{path}/refund", {"value": 10})
    control.ok("POST", "/_emulator/webhooks/resume")
    webhook_log(control)
    events = [r["body"]["event"] for r in receiver.requests]
    assert events == [
        "PAYMENT_CREATED",
        "PAYMENT_CREATED",
        "PAYMENT_CREATED",
        "PAYMENT_UPDATED",
        "PAYMENT_RECEIVED",
        "PAYMENT_PARTIALLY_REFUNDED",
    ]


def test_reorder_fault_delivers_newest_first(
    api: Api, control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    configure(control, webhook_url=receiver.url)
    control.ok("POST", "/_emulator/webhooks/pause")
    ids = [make_payment()["id"] for _ in range(3)]
    control.ok("POST", "/_emulator/faults", {"reorder_webhooks": True})
    control.ok("POST", "/_emulator/webhooks/resume")
    webhook_log(control)
    assert [r["body"]["payment"]["id"] for r in receiver.requests] == ids[::-1]


def test_duplicate_fault_redelivers_with_the_same_id(
    control: Api, receiver: Receiver, make_payment: MakePayment
) -> None:
    configure(control, webhook_url=receiver.url)
    control.ok("POST", "/_emulator/faults", {"duplicate_webhooks": True})
    make_payment()
    make_payment()
    webhook_log(control)
    ids = [r["body"]["id"] for r in receiver.requests]
    assert len(ids) == 4
    assert ids[0] == ids[1]
    assert ids[2] == ids[3]
    assert ids[0] != ids[2]


def test_non_sequential_delivers_everything(receiver: Receiver) -> None:
    server = start_emulator(webhook_url=receiver.url, webhook_send_type="NON_SEQUENTIALLY")
    try:
        api = Api(server.url, server.api_key)
        customer = api.ok("POST", "/v3/customers", {"name": "X", "cpfCnpj": "24971563792"})
        body = {
            "customer": customer["id"],
            "billingType": "PIX",
            "value": 10,
            "dueDate": "2099-01-01",
        }
        created = {api.ok("POST", "/v3/payments", body)["id"] for _ in range(6)}
        log = webhook_log(control_api(server))
        assert log["sendType"] == "NON_SEQUENTIALLY"
        assert {r["body"]["payment"]["id"] for r in receiver.accepted()} == created
        assert all(e["status"] == "DELIVERED" for e in log["events"])
    finally:
        server.stop()


def test_without_url_events_are_only_recorded(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment
) -> None:
    payment = make_payment()
    api.ok("DELETE", f"/v3/payments/{payment['id']}")
    api.ok("POST", f"/v3/payments/{payment['id']}/restore")
    log = webhook_log(control)
    assert [e["event"] for e in log["events"]] == [
        "PAYMENT_CREATED",
        "PAYMENT_DELETED",
        "PAYMENT_RESTORED",
    ]
    assert {e["status"] for e in log["events"]} == {"NOT_SENT"}
    assert log["events"][1]["payload"]["payment"]["deleted"] is True


def test_config_endpoint_validation(control: Api) -> None:
    assert control.post("/_emulator/config", {"webhook_send_type": "RANDOM"}).status_code == 400
    assert control.post("/_emulator/config", {"webhook_url": "ftp://x"}).status_code == 400
    assert control.post("/_emulator/config", {"nope": 1}).status_code == 400
    changed = configure(control, webhook_send_type="NON_SEQUENTIALLY")
    assert changed["webhook_send_type"] == "NON_SEQUENTIALLY"
    flushed = control.ok("POST", "/_emulator/webhooks/flush", {"timeout": 1})
    assert flushed == {"idle": True, "pending": 0}
