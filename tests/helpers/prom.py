"""Scrape and read Prometheus text exposition (an app's /metrics, a Collector's exporter).

Parsing is prometheus_client's own (``text_string_to_metric_families``), so what the tests read
is what a Prometheus server would ingest. Sample names are the series names as exposed, e.g.
``gen_ai_client_cost_usd_total`` or ``gen_ai_client_token_usage_bucket``.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float

    def matches(self, selector: Mapping[str, str]) -> bool:
        return all(self.labels.get(key) == value for key, value in selector.items())


@dataclass(frozen=True)
class Scrape:
    """One parsed exposition."""

    text: str
    types: Mapping[str, str]  # family name -> counter, histogram, gauge, info, ...
    samples: tuple[Sample, ...]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        types: dict[str, str] = {}
        samples: list[Sample] = []
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for sample in family.samples:
                samples.append(Sample(sample.name, dict(sample.labels), float(sample.value)))
        return cls(text, types, tuple(samples))

    def names(self, prefix: str = "") -> set[str]:
        """Series names present, optionally only those starting with ``prefix``."""
        return {s.name for s in self.samples if s.name.startswith(prefix)}

    def select(self, name: str, selector: Mapping[str, str] | None = None) -> list[Sample]:
        return [s for s in self.samples if s.name == name and s.matches(selector or {})]

    def total(self, name: str, selector: Mapping[str, str] | None = None) -> float:
        """Sum of a series' values over every label set matching ``selector``."""
        return sum(s.value for s in self.select(name, selector))

    def label_names(self, name: str, keep_empty: bool = False) -> set[frozenset[str]]:
        """The distinct label-name sets of a series, as Prometheus stores them.

        A label with an empty value is the same as no label in Prometheus, and exporters differ in
        whether they print it (OTel's Python exporter pads every sample of a family to the union of
        the family's label names with ""), so empty labels are left out unless ``keep_empty``.
        """
        return {frozenset(k for k, v in s.labels.items() if keep_empty or v != "") for s in self.select(name)}

    def value(self, name: str, selector: Mapping[str, str]) -> float:
        """The value of exactly one sample; AssertionError if none or several match."""
        found = self.select(name, selector)
        assert len(found) == 1, f"{len(found)} samples of {name} match {dict(selector)}: {found}"
        return found[0].value


def scrape_text(url: str, timeout: float = 5.0) -> str:
    # No Accept header: the plain text format 0.0.4, which prometheus_client's parser reads.
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback test URL)
        return response.read().decode("utf-8")


def scrape(url: str, timeout: float = 5.0) -> Scrape:
    return Scrape.parse(scrape_text(url, timeout))


def wait_for_scrape(
    url: str,
    ready: Callable[[Scrape], bool] | Iterable[str] = (),
    timeout: float = 10.0,
    interval: float = 0.1,
) -> Scrape:
    """Scrape until ``ready(scrape)`` holds (or, given names, until all those series exist).

    Connection errors count as "not yet" until the timeout; the last scrape (or error) is
    reported in the AssertionError raised at the timeout.
    """
    if not callable(ready):
        wanted = set(ready)

        def ready(s: Scrape) -> bool:
            return wanted <= s.names()

    deadline = time.monotonic() + timeout
    last: Scrape | None = None
    last_error: Exception | None = None
    while True:
        try:
            last = scrape(url, timeout=max(0.5, min(5.0, deadline - time.monotonic())))
            last_error = None
            if ready(last):
                return last
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = error
        if time.monotonic() >= deadline:
            detail = repr(last_error) if last_error else (last.text if last else "no scrape")
            raise AssertionError(f"{url} not ready after {timeout}s; last: {detail}")
        time.sleep(interval)
