"""The garbage collector pause (a report's counting, the price data's load): nested and concurrent
pauses, and the collector's state before the first pause restored after the last."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from genai_cost import gcpause


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_enabled_again_after_the_last_pause() -> None:
    gc.enable()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still runs
    assert gc.isenabled()


def test_a_collector_the_application_disabled_stays_disabled() -> None:
    gc.disable()
    with gcpause.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_pause_that_ends_in_another_thread_first_does_not_resume_the_collector() -> None:
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with gcpause.paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with gcpause.paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause is still under way
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_an_error_inside_still_ends_the_pause() -> None:
    gc.enable()
    with pytest.raises(ValueError), gcpause.paused():
        raise ValueError("bad answer")
    assert gc.isenabled()
