"""Opt-in price refresh: genai-prices' background updater fetches newer price data over HTTP.

The network peer is a local HTTP server serving price data in genai-prices' published format, with
gpt-4o-mini at $1 in / $2 out per million tokens instead of the bundled $0.15 / $0.60. Without the
opt-in nothing is fetched.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from genai_prices import data_snapshot, wait_prices_updated_sync

from genai_cost import config
from genai_cost.pricing import SOURCE_BUNDLED, SOURCE_REFRESHED, PriceBook
from genai_cost.providers import PROVIDERS
from genai_cost.usage import Usage
from tests.conftest import set_env

PUBLISHED = [
    {
        "id": "openai",
        "name": "OpenAI",
        "api_pattern": r"https://api\.openai\.com",
        "models": [
            {"id": "gpt-4o-mini", "match": {"equals": "gpt-4o-mini"}, "prices": {"input_mtok": 1, "output_mtok": 2}}
        ],
    }
]
USAGE = Usage(input_tokens=1000, output_tokens=500)
OPENAI = PROVIDERS["openai"]


@pytest.fixture
def price_server() -> Iterator[tuple[str, list[str]]]:
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            fetched.append(self.path)
            body = json.dumps(PUBLISHED).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/data.json", fetched
    finally:
        server.shutdown()
        server.server_close()
        data_snapshot.set_custom_snapshot(None)  # back to the bundled data for the other tests


def test_refresh_is_opt_in(price_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch)
    book = PriceBook.from_config()
    price = book.price(OPENAI, "gpt-4o-mini", USAGE)
    assert price.source == SOURCE_BUNDLED
    assert math.isclose(price.cost, (1000 * 0.15 + 500 * 0.60) / 1e6, rel_tol=1e-9)
    assert price_server[1] == []  # nothing fetched


def test_refreshed_prices_replace_resolved_entries(
    price_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, fetched = price_server
    set_env(monkeypatch, GENAI_COST_PRICES_REFRESH=url, GENAI_COST_PRICES_REFRESH_INTERVAL="3600")
    book = PriceBook.from_config()
    try:
        book.price(OPENAI, "gpt-4o-mini", USAGE)  # starts the updater; never waits for it
        assert wait_prices_updated_sync(timeout=10)
        price = book.price(OPENAI, "gpt-4o-mini", USAGE)
        assert fetched == ["/data.json"]
        assert price.source == SOURCE_REFRESHED
        assert price.entry == "openai/gpt-4o-mini"
        assert math.isclose(price.cost, (1000 * 1 + 500 * 2) / 1e6, rel_tol=1e-9)
    finally:
        book.stop_refresh()


@pytest.mark.parametrize(
    ("raw", "expected"), [("off", None), ("", None), ("http://prices.internal/d.json", "http://prices.internal/d.json")]
)
def test_refresh_setting(raw: str, expected: str | None) -> None:
    assert config.load({"GENAI_COST_PRICES_REFRESH": raw}).prices_refresh_url == expected


def test_refresh_on_uses_the_published_data_and_a_bad_value_warns(caplog: pytest.LogCaptureFixture) -> None:
    from genai_prices.update_prices import DEFAULT_UPDATE_URL

    assert config.load({"GENAI_COST_PRICES_REFRESH": "on"}).prices_refresh_url == DEFAULT_UPDATE_URL
    assert config.load({"GENAI_COST_PRICES_REFRESH": "sometimes"}).prices_refresh_url is None
    assert [r.getMessage() for r in caplog.records if "GENAI_COST_PRICES_REFRESH" in r.getMessage()] == [
        "genai-cost: ignoring GENAI_COST_PRICES_REFRESH='sometimes': expected off, on or an http(s) URL; "
        "prices are not refreshed"
    ]
