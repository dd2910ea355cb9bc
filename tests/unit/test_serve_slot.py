"""The inference slot is granted in arrival order."""

from __future__ import annotations

import threading
import time

from serve.slot import FairSlot


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_the_slot_first_come_first_served() -> None:
    slot = FairSlot()
    order: list[int] = []

    def use(number: int) -> None:
        with slot:
            order.append(number)

    threads = []
    with slot:
        for number in range(8):
            thread = threading.Thread(target=use, args=(number,))
            thread.start()
            threads.append(thread)
            wait_for(lambda n=number: slot.waiting == n + 1)
    for thread in threads:
        thread.join(timeout=5)
    assert order == list(range(8))
    assert slot.waiting == 0


def test_a_released_slot_is_free_again_and_exceptions_release_it() -> None:
    slot = FairSlot()
    try:
        with slot:
            raise ValueError("handler bug")
    except ValueError:
        pass
    acquired = threading.Event()

    def use() -> None:
        with slot:
            acquired.set()

    thread = threading.Thread(target=use)
    thread.start()
    assert acquired.wait(timeout=5)
    thread.join(timeout=5)


def test_the_holder_may_enter_again_and_the_slot_is_freed_by_the_outer_exit() -> None:
    slot = FairSlot()
    others: list[str] = []

    def other() -> None:
        with slot:
            others.append("served")

    with slot:
        with slot:
            pass
        thread = threading.Thread(target=other)
        thread.start()
        wait_for(lambda: slot.waiting == 1)
        assert others == []  # the inner exit did not hand the slot on
    thread.join(timeout=5)
    assert others == ["served"]
