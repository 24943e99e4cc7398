"""The GIL is released while the library works: a thread blocked in the
library does not stop the others from running Python."""

from __future__ import annotations

import sys
import threading

import authgate
import support

WAIT_SECONDS = 3.0


def test_a_thread_waiting_for_keys_does_not_hold_the_gil():
    server = support.StalledServer()  # accepts the key fetch, never answers
    verifier = authgate.Verifier({"jwks_uri": "http://127.0.0.1:%d/jwks" % server.port})
    started, finished = threading.Event(), threading.Event()
    outcome = []

    def wait_for_keys():
        started.set()
        try:
            verifier.wait_ready(WAIT_SECONDS)
        except authgate.Timeout as error:
            outcome.append(error)
        finally:
            finished.set()

    waiter = threading.Thread(target=wait_for_keys)
    waiter.start()
    try:
        assert started.wait(WAIT_SECONDS)
        assert server.accepted.wait(WAIT_SECONDS)  # the library is fetching
        # Let the waiter reach the C call: its innermost Python frame is the
        # Verifier.wait_ready line that calls into the library.
        while not finished.is_set():
            frame = sys._current_frames().get(waiter.ident)
            if frame is not None and frame.f_code.co_name == "wait_ready":
                break
        # Python work on this thread while the waiter is in the library. Had
        # it kept the GIL, this thread would stand still until the wait ran
        # out, and the waiter would be finished when the work is.
        counter = 0
        for _ in range(200):
            counter += sum(range(1000))
            threading.Event().wait(0)  # gives the GIL away at every turn
        assert counter == 200 * sum(range(1000))
        assert not finished.is_set() and waiter.is_alive()
    finally:
        waiter.join()
        verifier.close()
        server.close()
    assert len(outcome) == 1  # the wait ended by its own timeout
