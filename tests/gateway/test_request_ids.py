"""Request ids: unique, in the documented shape, and ordered by arrival (the ledger's
primary key grows at one edge)."""

from __future__ import annotations

import re
import time

from polyroute.gateway.calls import new_request_id


def test_ids_have_the_documented_shape_and_do_not_repeat() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert all(re.fullmatch(r"req_[0-9a-f]{24}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_ids_sort_by_arrival_across_milliseconds() -> None:
    ids = []
    for _ in range(5):
        ids.append(new_request_id())
        time.sleep(0.002)
    assert ids == sorted(ids)
    assert int(ids[0][4:16], 16) <= int(time.time() * 1000) < int(ids[0][4:16], 16) + 60_000
