"""Runs an iterator a few items ahead in a helper thread, so that producing and consuming overlap.

The digest workers use it to decompress and decode (without the GIL) while they scan the previous piece.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

# How often a producer blocked on a full queue looks whether the consumer stopped, and a stopping consumer
# empties the queue again: short, as the consumer waits for the producer to notice.
_POLL_SECONDS = 0.05


def read_ahead(items: Iterator[T], depth: int) -> Generator[T, None, None]:
    """Runs `items` in a helper thread, `depth` items ahead; its errors are raised here, in order."""
    if depth <= 0:
        yield from items
        return
    handoff: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    thread = threading.Thread(
        target=_produce, args=(items, handoff, stop), name="flowlog-decode", daemon=True
    )
    thread.start()
    try:
        while True:
            more, item = handoff.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]  # queued by _produce from `items`
    finally:
        stop.set()
        while thread.is_alive():
            _drain(handoff)
            thread.join(_POLL_SECONDS)


def _produce(items: Iterator[T], handoff: queue.Queue[tuple[bool, object]], stop: threading.Event) -> None:
    try:
        for item in items:
            if not _offer(handoff, (True, item), stop):
                break
        else:
            _offer(handoff, (False, None), stop)
    except BaseException as error:  # handed to the consumer, which raises it
        _offer(handoff, (False, error), stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _offer(
    handoff: queue.Queue[tuple[bool, object]], value: tuple[bool, object], stop: threading.Event
) -> bool:
    while not stop.is_set():
        try:
            handoff.put(value, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def _drain(handoff: queue.Queue[tuple[bool, object]]) -> None:
    while True:
        try:
            handoff.get_nowait()
        except queue.Empty:
            return
