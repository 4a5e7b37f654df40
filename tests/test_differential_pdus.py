"""Differential tests with pynetdicom 3.0.4 as the oracle: PDUs, in both directions.

Bytes encoded by pynetdicom decode with ours to the same values, and bytes encoded by ours
decode with pynetdicom's own decoders to the same values; for the values both accept, the
two encoders produce the same bytes.
"""

from __future__ import annotations

from hypothesis import given, settings
from pynetdicom import pdu, pdu_primitives

from differential_models import (
    DIFF,
    Model,
    model_of_ours,
    model_of_pynd,
    ours_pdu,
    pdu_models,
    pynd_decode_pdu,
    pynd_pdu,
    rq_models,
)
from fastdimse._core import (
    ImplementationClassUid,
    MaximumLength,
    decode_pdu,
)

# --- PDU tests ----------------------------------------------------------------------


@DIFF
@given(pdu_models)
def test_pynetdicom_encoded_pdus_decode_with_ours_to_the_same_values(model: Model) -> None:
    encoded = pynd_pdu(model).encode()
    assert model_of_ours(decode_pdu(encoded)) == model


@DIFF
@given(pdu_models)
def test_our_encoded_pdus_decode_with_pynetdicom_to_the_same_values(model: Model) -> None:
    encoded = ours_pdu(model).encode()  # type: ignore[attr-defined]
    assert model_of_pynd(pynd_decode_pdu(encoded)) == model


@DIFF
@given(pdu_models)
def test_both_encoders_produce_the_same_bytes(model: Model) -> None:
    assert ours_pdu(model).encode() == pynd_pdu(model).encode()  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(rq_models)
def test_pynetdicom_primitive_path_associate_rq_decodes_with_ours(model: Model) -> None:
    """The A-ASSOCIATE primitive an AE builds, through A_ASSOCIATE_RQ.from_primitive."""
    from pynetdicom.presentation import PresentationContext

    _, _version, called, calling, app, contexts, items = model
    primitive = pdu_primitives.A_ASSOCIATE()
    primitive.application_context_name = app
    primitive.called_ae_title = called
    primitive.calling_ae_title = calling
    for context_id, abstract_syntax, transfer_syntaxes in contexts:
        context = PresentationContext()
        context.context_id = context_id
        context.abstract_syntax = abstract_syntax
        context.transfer_syntax = list(transfer_syntaxes)
        primitive.presentation_context_definition_list.append(context)
    maximum = pdu_primitives.MaximumLengthNotification()
    maximum.maximum_length_received = items[0][1]
    class_uid = pdu_primitives.ImplementationClassUIDNotification()
    class_uid.implementation_class_uid = items[1][1]
    primitive.user_information = [maximum, class_uid]
    decoded = decode_pdu(pdu.A_ASSOCIATE_RQ(primitive).encode())
    assert (decoded.called_ae_title, decoded.calling_ae_title) == (called, calling)
    assert decoded.application_context == app
    # pynetdicom's PresentationContext drops repeated transfer syntaxes.
    assert [
        (c.id, c.abstract_syntax, tuple(c.transfer_syntaxes)) for c in decoded.presentation_contexts
    ] == [(i, a, tuple(dict.fromkeys(t))) for i, a, t in contexts]
    assert decoded.user_information == [
        MaximumLength(value=items[0][1]),
        ImplementationClassUid(uid=items[1][1]),
    ]
