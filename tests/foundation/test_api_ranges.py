"""Numbers, ids and text beyond what the columns hold answer 4xx problems naming the field and the
allowed range — in the body, the URL and list filters, on SQLite and PostgreSQL; never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

INT64_MAX = 2**63 - 1
BEYOND = str(10**20)  # past 2^63: SQLite cannot bind it, PostgreSQL's BIGINT cannot hold it


def _problem(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.data[:500])
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json


def test_decimals_beyond_their_precision_are_refused(admin_api: Api) -> None:
    for price in ("1e30", 1e30, "12345678901.5", "-1e999999999"):
        errors = _problem(admin_api.post("/api/v1/widget", json={"title": "大数", "price": price}))["errors"]
        # price is NUMERIC(12, 2) with min 0: the message says the range it must be in
        assert errors == {"price": ["Out of range: must be between 0 and 9999999999.99."]}, price
    zh = admin_api.post("/api/v1/widget", json={"title": "大数", "price": "1e30"}, headers={"Accept-Language": "zh"})
    assert zh.json["errors"] == {"price": ["超出范围：应在 0 到 9999999999.99 之间"]}
    for special in ("NaN", "Infinity", "-inf", "sNaN"):
        errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "price": special}))["errors"]
        assert errors == {"price": ["NaN and infinity are not allowed."]}, special
    created = admin_api.post("/api/v1/widget", json={"title": "最大", "price": "9999999999.99"})
    assert created.status_code == 201 and created.json["price"] == "9999999999.99"


def test_integers_and_links_beyond_64_bits_are_refused(admin_api: Api) -> None:
    errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "qty": 1e30}))["errors"]
    assert errors == {"qty": ["Out of range: must be between 0 and 100000."]}
    errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "supplier": 2**64}))["errors"]
    assert errors == {"supplier": [f"Out of range: must be between -{INT64_MAX + 1} and {INT64_MAX}."]}
    errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "supplier": INT64_MAX}))["errors"]
    assert errors == {"supplier": [f"Supplier #{INT64_MAX} does not exist"]}  # in range: looked up, absent


def test_a_formula_result_beyond_its_column_is_refused(admin_api: Api) -> None:
    huge = {"part": "大件", "qty": "999999999999", "unit_price": "999999999999"}  # amount = 10^24
    errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "parts": [huge]}))["errors"]
    assert "parts[0].amount" in errors


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_record_ids_beyond_64_bits_are_refused(admin_api: Api, method: str) -> None:
    for record_id in (BEYOND, "0"):
        call = getattr(admin_api, method)
        response = call(f"/api/v1/widget/{record_id}", **({"json": {"title": "x"}} if method == "patch" else {}))
        assert _problem(response)["errors"] == {"record_id": [f"Out of range: must be between 1 and {INT64_MAX}."]}
    zh = admin_api.get(f"/api/v1/widget/{BEYOND}", headers={"Accept-Language": "zh"})
    assert zh.json["errors"] == {"record_id": [f"超出范围：应在 1 到 {INT64_MAX} 之间"]}
    assert _problem(admin_api.get(f"/api/v1/widget/{BEYOND}/timeline"))["errors"].keys() == {"record_id"}


@pytest.mark.parametrize(("query", "param"), [
    ("price__gt=1e30", "price__gt"),
    ("price=NaN", "price"),
    (f"supplier={BEYOND}", "supplier"),
    (f"id__in=1,{BEYOND}", "id__in"),
    (f"qty__lt={BEYOND}", "qty__lt"),
    ("seen_at__ge=0001-01-01T00:00:00", "seen_at__ge"),
    ("title=a%00b", "title"),
    ("color=green", "color"),
    ("active__is_null=perhaps", "active__is_null"),
    ("page=", "page"),
    ("page=two", "page"),
    ("page=0", "page"),
    ("limit=%D9%A5", "limit"),  # an Arabic-Indic five: int() would take it
    ("limit=501", "limit"),
    ("sort=title,,qty", "sort"),
    ("sort=%2Btitle", "sort"),
])
def test_list_filters_are_validated_by_the_field_type(admin_api: Api, query: str, param: str) -> None:
    errors = _problem(admin_api.get(f"/api/v1/widget?{query}"))["errors"]
    assert list(errors) == [param], errors


def test_list_filters_in_range_still_work(admin_api: Api) -> None:
    admin_api.post("/api/v1/widget", json={"title": "便宜", "price": "0.35", "qty": 3})
    admin_api.post("/api/v1/widget", json={"title": "贵", "price": "99.00", "qty": 5})
    assert [w["title"] for w in admin_api.get("/api/v1/widget?price__gt=0.125&sort=price").json["items"]] == \
        ["便宜", "贵"]  # a bound may have more places than the column
    assert [w["title"] for w in admin_api.get("/api/v1/widget?qty__like=5").json["items"]] == ["贵"]
    assert admin_api.get("/api/v1/widget?page=1&limit=1").json["page"] == 1


@pytest.mark.parametrize("body", [
    b'{"title": "a\\u0000b"}',
    b'{"title": "\\ud800"}',
    b'{"title": "x", "extra": {"k": "\\u0000"}}',
    b'{"title": "x", "color": "\\udfff"}',
])
def test_text_no_column_can_hold_is_refused(admin_api: Api, body: bytes) -> None:
    response = admin_api.client.post("/api/v1/widget", data=body, headers={**admin_api._headers(),
                                                                             "Content-Type": "application/json"})
    errors = _problem(response)["errors"]
    assert len(errors) == 1 and next(iter(errors)) in ("title", "extra", "color")


def test_datetimes_before_the_first_utc_moment_are_refused(admin_api: Api) -> None:
    errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "seen_at": "0001-01-01T00:00:00"}))
    assert list(errors["errors"]) == ["seen_at"]


def test_a_multiselect_refuses_an_option_chosen_twice(admin_api: Api) -> None:
    """The document says uniqueItems (found by schemathesis: the API stored ["rush", "rush"])."""
    errors = _problem(admin_api.post("/api/v1/widget", json={"title": "x", "tags": ["rush", "rush"]}))["errors"]
    assert errors == {"tags": ["Chosen more than once: rush."]}
