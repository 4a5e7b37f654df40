"""Differential tests with pynetdicom 3.0.4 as the oracle: command sets of every message type,
in both directions.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from pynetdicom import dimse_messages
from pynetdicom.dsutils import decode as pynd_decode_dataset
from pynetdicom.dsutils import encode as pynd_encode_dataset

from differential_models import (
    KEYWORDS,
    PYND_MESSAGES,
    command_models,
    model_of_ours_command,
    model_of_pynd_command,
    ours_command,
    pynd_command_dataset,
)
from fastdimse._core import (
    decode_command_set,
)
from test_roundtrip_hypothesis import COMMANDS


def test_the_command_tables_cover_every_pynetdicom_message_type() -> None:
    assert set(PYND_MESSAGES) == set(COMMANDS)
    for name, required, optional, _data_set in COMMANDS.values():
        keywords = dimse_messages._COMMAND_SET_KEYWORDS[name]
        assert {KEYWORDS[field] for field in (*required, *optional)} <= set(keywords), name


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_command_sets_of_every_message_type_agree_both_ways(data: st.DataObject) -> None:
    for command_field in sorted(PYND_MESSAGES):
        model = data.draw(command_models(command_field), label=COMMANDS[command_field][0])
        pynd_bytes = pynd_encode_dataset(pynd_command_dataset(model), True, True)
        ours_bytes = ours_command(model).encode()
        assert ours_bytes == pynd_bytes
        assert model_of_ours_command(decode_command_set(pynd_bytes)) == model
        decoded = pynd_decode_dataset(io.BytesIO(ours_bytes), True, True)
        assert decoded.CommandGroupLength == len(ours_bytes) - 12
        assert model_of_pynd_command(decoded) == model
