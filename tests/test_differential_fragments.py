"""Differential tests with pynetdicom 3.0.4 as the oracle: fragmentation and reassembly."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from pynetdicom import pdu

from differential_models import (
    DIFF,
    PYND_MESSAGES,
    Model,
    command_models,
    model_of_ours_command,
    model_of_pynd_command,
    ours_command,
    pynd_command_dataset,
    pynd_reassemble,
    split_pdus,
)
from fastdimse._core import (
    Message,
    Receiver,
    fragment_message,
)
from test_roundtrip_hypothesis import context_ids

# --- fragmentation and reassembly ---------------------------------------------------

_even_bytes = st.binary(max_size=4000).map(lambda b: b + b"\0" * (len(b) % 2))
# pynetdicom cannot fragment below 8; odd maxima are a divergence, tested below.
_even_max_pdus = st.sampled_from([0, 8, 10, 64, 1000, 4096, 16382])


@DIFF
@given(
    model=command_models(),
    data_set=_even_bytes,
    max_pdu=_even_max_pdus,
    context_id=context_ids,
)
def test_our_fragments_reassemble_in_pynetdicom(
    model: Model, data_set: bytes, max_pdu: int, context_id: int
) -> None:
    command = ours_command(model)
    has_data_set = command.has_data_set
    if has_data_set and not data_set:
        data_set = b"\0\0"  # pynetdicom cannot receive an empty data set: see DIVERGENCES.md
    stream = fragment_message(
        max_pdu, context_id, command.encode(), data_set if has_data_set else None
    )
    for raw in split_pdus(stream):
        assert raw[0] == 0x04
        if max_pdu:
            assert len(raw) - 6 <= max_pdu
    message, _count = pynd_reassemble(stream)
    assert message.context_id == context_id
    assert model_of_pynd_command(message.command_set) == model
    assert isinstance(message, PYND_MESSAGES[model[0]])
    if has_data_set:
        assert message.data_set.getvalue() == data_set
    else:
        assert message.data_set.getvalue() == b""


@DIFF
@given(
    model=command_models(),
    data_set=_even_bytes.filter(bool),
    max_pdu=_even_max_pdus,
    context_id=context_ids,
    read_size=st.integers(1, 70000),
)
def test_pynetdicom_fragments_reassemble_in_our_receiver(
    model: Model, data_set: bytes, max_pdu: int, context_id: int, read_size: int
) -> None:
    message = PYND_MESSAGES[model[0]]()
    message.command_set = pynd_command_dataset(model)
    has_data_set = dict(model[1])["command_data_set_type"] != 0x0101
    message.data_set = io.BytesIO(data_set if has_data_set else b"")
    stream = b"".join(
        pdu.P_DATA_TF(primitive).encode() for primitive in message.encode_msg(context_id, max_pdu)
    )
    receiver = Receiver(max_pdu)
    events: list[object] = []
    for start in range(0, len(stream), read_size):
        events.extend(receiver.feed(stream[start : start + read_size]))
    receiver.finish()
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, Message)
    assert event.context_id == context_id
    assert model_of_ours_command(event.command) == model
    if has_data_set:
        assert bytes(event.data_set) == data_set
    else:
        assert event.data_set is None
