"""How many objects one ReadPropertyMultiple may ask for, from what the device said in its I-Am.

Each object is asked for ``present-value`` and ``status-flags``. Sizes are the encoded bytes of ASHRAE 135
§21 (worst cases, so a batch never overflows):

- request: per object a ReadAccessSpecification = object id (5) + open/close tags (2) + two property ids
  (2 each) = **11** bytes; the confirmed-request header is 4 bytes.
- answer: per object a ReadAccessResult = object id (5) + open/close (2) + present-value (property id 2, open
  /close 2, a Double 10) + status-flags (2 + 2 + bit string 3) = **28** bytes (an error result, 2 + 2 + two
  enumerations of up to 3, fits too); the complex-ACK header is 5 bytes when segmented, 3 otherwise.

A device that cannot send segmented messages must fit its answer into one APDU of ``max_apdu`` bytes; one
that can is allowed ``SEGMENTS`` APDUs (more round trips per transaction, but a lost segment costs the whole
transaction, so few segments keep a retry cheap). The request is bound the same way by the device's
ability to receive segments.

Worked example: a controller with ``max_apdu=480`` and no segmentation: (480 - 5) // 28 = 16 objects per
request, so 40 points are read in 3 requests of 16, 16 and 8. The same points on a 1476-byte, segmented-both
device: min(4 x 1471 // 28, 4 x 1472 // 11) = 210 objects, 1 request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

SPEC_BYTES = 11
RESULT_BYTES = 28
REQUEST_HEADER = 4
ACK_HEADER = 5
SEGMENTS = 4
CAN_SEND = {"segmented-both", "segmented-transmit"}
CAN_RECEIVE = {"segmented-both", "segmented-receive"}


def objects_per_request(max_apdu: int, segmentation: str, cap: int = 0) -> int:
    """Objects per ReadPropertyMultiple for a device's ``max_apdu`` (bytes) and ``segmentation``
    (``segmented-both | segmented-transmit | segmented-receive | no-segmentation``); ``cap`` > 0 lowers it."""
    answer_room = (max_apdu - ACK_HEADER) * (SEGMENTS if segmentation in CAN_SEND else 1)
    request_room = (max_apdu - REQUEST_HEADER) * (SEGMENTS if segmentation in CAN_RECEIVE else 1)
    n = min(answer_room // RESULT_BYTES, request_room // SPEC_BYTES)
    if cap > 0:
        n = min(n, cap)
    return max(1, n)


def batches(items: Sequence[T], per_request: int) -> list[list[T]]:
    """``items`` in consecutive requests of at most ``per_request`` objects."""
    return [list(items[i:i + per_request]) for i in range(0, len(items), per_request)]
