"""Opt-in price refresh: genai-prices' own background updater, never on the request path.

With `GENAI_COST_PRICES_REFRESH` set, genai-prices' UpdatePrices fetches newer price data every
`GENAI_COST_PRICES_REFRESH_INTERVAL` seconds in its own thread and swaps genai-prices' snapshot.
The price book asks `newer_data()` per call (one identity check) and forgets its resolved entries
when the snapshot changed, so calls are priced from the new data from then on. Without the opt-in
nothing here runs and nothing is fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from genai_cost import config
from genai_cost.pricing.bundled import price_data

logger = logging.getLogger("genai_cost")


class PriceRefresh:
    """A started updater and the price data the caller's resolved entries came from."""

    __slots__ = ("_updater", "_snapshot", "_get_snapshot")

    def __init__(self, updater: Any, get_snapshot: Callable[[], Any]) -> None:
        self._updater = updater
        self._get_snapshot = get_snapshot
        self._snapshot = get_snapshot()

    def newer_data(self) -> bool:
        """True once per change of the price data: resolved entries are stale from then on."""
        snapshot = self._get_snapshot()
        if snapshot is self._snapshot:
            return False
        self._snapshot = snapshot
        return True

    def stop(self) -> None:
        """Stop fetching; the data already fetched stays in use."""
        self._updater.stop()


def start() -> PriceRefresh | None:
    """Start the updater when the user opted in; None otherwise, or when it cannot start (logged)."""
    cfg = config.get()
    if cfg.prices_refresh_url is None:
        return None
    try:
        from genai_prices import UpdatePrices

        updater = UpdatePrices(url=cfg.prices_refresh_url, update_interval=cfg.prices_refresh_interval)
        refresh = PriceRefresh(updater, price_data)  # the data in use before the first fetch
        updater.start(wait=False)
    except Exception:
        logger.exception("genai-cost: could not start the price refresh; using the bundled prices")
        return None
    logger.info("genai-cost: refreshing prices from %s every %ss", cfg.prices_refresh_url, cfg.prices_refresh_interval)
    return refresh
