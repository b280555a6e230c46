"""Many calls at once: the counters equal the sum of the span values exactly; no span is lost or
doubled. Real SDK clients, the mock provider's replies served in-process (transport.py), a
different usage on every call so a lost or doubled update shows in the totals.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.robustness.conftest import ALL_SDKS, Sdk, close, counter, local_client, ours, tokens_by_type

THREADS = 16
CALLS_PER_THREAD = 500
# The other SDKs' wrappers feed the same shared recording code: 16 x 125 calls each (2,000, a
# quarter of openai's) show a lost or doubled update as well and keep the suite's runtime down.
CALLS_PER_THREAD_OTHERS = 125
ASYNC_CALLS = 1000


@dataclass(frozen=True)
class Planned:
    input_tokens: int
    output_tokens: int
    cache_read: int
    streamed: bool


def plan(worker: int, i: int) -> Planned:
    """A usage unique to (worker, i); every fourth call is streamed."""
    input_tokens = 1000 + worker * 1000 + i
    return Planned(input_tokens, 1 + (worker * 7 + i) % 97, 128 * (i % 5), streamed=i % 4 == 3)


def run_one(sdk: Sdk, client: Any, planned: Planned) -> None:
    usage = sdk.wire_usage(planned.input_tokens, planned.output_tokens, planned.cache_read)
    if planned.streamed:
        assert len(list(sdk.stream(client, sdk.model, usage))) > 1
    else:
        assert sdk.plain(client, sdk.model, usage) is not None


async def run_one_async(sdk: Sdk, client: Any, planned: Planned) -> None:
    usage = sdk.wire_usage(planned.input_tokens, planned.output_tokens, planned.cache_read)
    if planned.streamed:
        stream = await sdk.async_stream(client, sdk.model, usage)
        assert len([chunk async for chunk in stream]) > 1
    else:
        assert await sdk.async_plain(client, sdk.model, usage) is not None


def assert_exact(sdk: Sdk, pipeline: Pipeline, plans: list[Planned]) -> None:
    spans = ours(pipeline)
    assert len(spans) == len(plans)  # none lost
    assert len({s.context.span_id for s in spans}) == len(plans)  # none doubled
    assert len({s.attributes[names.RESPONSE_ID] for s in spans}) == len(plans)  # one span per response

    # Span values are what was planned, call by call...
    def planned_key(p: Planned) -> tuple[int, int, int, bool]:
        return (p.input_tokens, p.output_tokens, p.cache_read, p.streamed)

    seen = sorted(
        (
            s.attributes[names.USAGE_INPUT_TOKENS],
            s.attributes[names.USAGE_OUTPUT_TOKENS],
            s.attributes[names.USAGE_CACHE_READ_INPUT_TOKENS],
            bool(s.attributes.get(names.REQUEST_STREAM)),
        )
        for s in spans
    )
    assert seen == sorted(planned_key(p) for p in plans)

    # ...and the counters are exactly their sums (integers exactly; USD to 1e-9).
    tokens = tokens_by_type(pipeline)
    assert (
        tokens["input"]
        == sum(p.input_tokens for p in plans)
        == sum(s.attributes[names.USAGE_INPUT_TOKENS] for s in spans)
    )
    assert tokens["output"] == sum(p.output_tokens for p in plans)
    assert tokens["cache_read"] == sum(p.cache_read for p in plans)
    expected_cost = sum(sdk.cost(p.input_tokens, p.output_tokens, p.cache_read) for p in plans)
    assert close(counter(pipeline, names.METRIC_COST), expected_cost)
    assert close(sum(s.attributes[names.USAGE_COST] for s in spans), expected_cost)
    saved = sum(p.cache_read * (sdk.rates[0] - sdk.rates[1]) / 1_000_000 for p in plans)
    assert close(counter(pipeline, names.METRIC_COST_SAVINGS), saved)
    assert counter(pipeline, names.METRIC_UNPRICED) == 0
    metrics = pipeline.metrics()
    assert sum(p.count for _, p in metrics[names.METRIC_OPERATION_DURATION]) == len(plans)
    usage_sums = {a[names.TOKEN_TYPE]: p.sum for a, p in metrics[names.METRIC_TOKEN_USAGE]}
    assert usage_sums == {"input": tokens["input"], "output": tokens["output"]}


# The anthropic SDK warns about the retired model name the tests price on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")


@pytest.fixture(params=list(ALL_SDKS.values()), ids=list(ALL_SDKS))
def sdk(request: pytest.FixtureRequest) -> Sdk:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def mock(sdk: Sdk) -> Iterator[MockProvider]:
    yield MockProvider(flavor=sdk.flavor)


def test_threads(sdk: Sdk, cost_instrumented: Any, pipeline: Pipeline, mock: MockProvider) -> None:
    calls = CALLS_PER_THREAD if sdk.name == "openai" else CALLS_PER_THREAD_OTHERS
    plans = [[plan(t, i) for i in range(calls)] for t in range(THREADS)]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(own: list[Planned]) -> None:
        client = local_client(sdk, mock)  # a client per thread, as apps commonly do; the first ones share
        try:
            start.wait()
            for planned in own:
                run_one(sdk, client, planned)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(own,)) for own in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_exact(sdk, pipeline, [p for own in plans for p in own])


async def test_asyncio(sdk: Sdk, cost_instrumented: Any, pipeline: Pipeline, mock: MockProvider) -> None:
    client = local_client(sdk, mock, asynchronous=True)
    plans = [plan(0, i) for i in range(ASYNC_CALLS)]
    await asyncio.gather(*(run_one_async(sdk, client, p) for p in plans))
    assert_exact(sdk, pipeline, plans)
