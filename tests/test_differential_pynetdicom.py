"""Differential tests with pynetdicom 3.0.4 as the oracle, in both directions.

For generated PDUs and command sets, bytes encoded by pynetdicom decode with
ours to the same values, and bytes encoded by ours decode with pynetdicom's
own decoders to the same values; for the values both accept, the two
encoders produce the same bytes. Each side is reached through a neutral
"model" (plain tuples), so that neither library's objects are compared with
the other's. Where pynetdicom departs from the standard, the test asserts the
standard's behaviour and tests/DIVERGENCES.md says why.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pynetdicom import dimse_messages, pdu, pdu_items, pdu_primitives
from pynetdicom.dsutils import decode as pynd_decode_dataset
from pynetdicom.dsutils import encode as pynd_encode_dataset

from fastdimse._core import (
    Abort,
    AssociateAc,
    AssociateRj,
    AssociateRq,
    AsyncOpsWindow,
    CommandSet,
    ImplementationClassUid,
    ImplementationVersionName,
    MaximumLength,
    Message,
    PDataTf,
    Pdv,
    PresentationContextAc,
    PresentationContextRq,
    Receiver,
    ReleaseRp,
    ReleaseRq,
    RoleSelection,
    SopClassCommonExtended,
    SopClassExtended,
    UnknownUserItem,
    UserIdentityAc,
    UserIdentityRq,
    decode_command_set,
    decode_pdu,
    fragment_message,
)
from fastdimse.errors import DecodeError
from test_roundtrip_hypothesis import COMMANDS, FIELD_VALUES, ae_titles, context_ids, uids

DIFF = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Model = tuple[Any, ...]

# --- user information sub-items: model <-> ours <-> pynetdicom ----------------------

user_item_models = st.one_of(
    st.tuples(st.just("max"), st.integers(0, 0xFFFF_FFFF)),
    st.tuples(st.just("class_uid"), uids),
    st.tuples(st.just("version_name"), ae_titles),
    st.tuples(st.just("async"), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
    # pynetdicom only allows 0 and 1 for the roles.
    st.tuples(st.just("role"), uids, st.integers(0, 1), st.integers(0, 1)),
    st.tuples(st.just("ext"), uids, st.binary(max_size=24)),
    st.tuples(st.just("common"), uids, uids, st.lists(uids, max_size=3).map(tuple)),
    st.tuples(
        st.just("identity_rq"),
        st.integers(1, 5),
        st.booleans(),
        st.binary(min_size=1, max_size=32),
        st.binary(max_size=32),
    ),
    st.tuples(st.just("identity_ac"), st.binary(max_size=32)),
)
# Realistic user information: Maximum Length and Implementation Class UID
# first (PS3.7 D.3.3.1 and D.3.3.2 make them mandatory), then the others.
user_information_models = st.tuples(
    st.tuples(st.just("max"), st.integers(0, 0xFFFF_FFFF)),
    st.tuples(st.just("class_uid"), uids),
    st.lists(user_item_models, max_size=6).map(tuple),
).map(lambda parts: (parts[0], parts[1], *parts[2]))


def ours_user_item(model: Model) -> object:
    kind, *args = model
    if kind == "max":
        return MaximumLength(value=args[0])
    if kind == "class_uid":
        return ImplementationClassUid(uid=args[0])
    if kind == "version_name":
        return ImplementationVersionName(name=args[0])
    if kind == "async":
        return AsyncOpsWindow(max_operations_invoked=args[0], max_operations_performed=args[1])
    if kind == "role":
        return RoleSelection(sop_class_uid=args[0], scu_role=args[1], scp_role=args[2])
    if kind == "ext":
        return SopClassExtended(
            sop_class_uid=args[0], service_class_application_information=args[1]
        )
    if kind == "common":
        return SopClassCommonExtended(
            sop_class_uid=args[0], service_class_uid=args[1], related_general_sop_classes=args[2]
        )
    if kind == "identity_rq":
        return UserIdentityRq(
            identity_type=args[0],
            positive_response_requested=args[1],
            primary_field=args[2],
            secondary_field=args[3],
        )
    if kind == "identity_ac":
        return UserIdentityAc(server_response=args[0])
    raise AssertionError(kind)


def model_of_ours_user_item(item: object) -> Model:
    match item:
        case MaximumLength():
            return ("max", item.value)
        case ImplementationClassUid():
            return ("class_uid", item.uid)
        case ImplementationVersionName():
            return ("version_name", item.name)
        case AsyncOpsWindow():
            return ("async", item.max_operations_invoked, item.max_operations_performed)
        case RoleSelection():
            return ("role", item.sop_class_uid, item.scu_role, item.scp_role)
        case SopClassExtended():
            return ("ext", item.sop_class_uid, item.service_class_application_information)
        case SopClassCommonExtended():
            assert item.version == 0
            return (
                "common",
                item.sop_class_uid,
                item.service_class_uid,
                tuple(item.related_general_sop_classes),
            )
        case UserIdentityRq():
            return (
                "identity_rq",
                item.identity_type,
                item.positive_response_requested,
                item.primary_field,
                item.secondary_field,
            )
        case UserIdentityAc():
            return ("identity_ac", item.server_response)
    raise AssertionError(f"unexpected user item {item!r}")


def pynd_user_item(model: Model) -> Any:
    kind, *args = model
    if kind == "max":
        item: Any = pdu_items.MaximumLengthSubItem()
        item.maximum_length_received = args[0]
    elif kind == "class_uid":
        item = pdu_items.ImplementationClassUIDSubItem()
        item.implementation_class_uid = args[0]
    elif kind == "version_name":
        item = pdu_items.ImplementationVersionNameSubItem()
        item.implementation_version_name = args[0]
    elif kind == "async":
        item = pdu_items.AsynchronousOperationsWindowSubItem()
        item.maximum_number_operations_invoked = args[0]
        item.maximum_number_operations_performed = args[1]
    elif kind == "role":
        item = pdu_items.SCP_SCU_RoleSelectionSubItem()
        item.sop_class_uid = args[0]
        item.scu_role = args[1]
        item.scp_role = args[2]
    elif kind == "ext":
        item = pdu_items.SOPClassExtendedNegotiationSubItem()
        item.sop_class_uid = args[0]
        item.service_class_application_information = args[1]
    elif kind == "common":
        item = pdu_items.SOPClassCommonExtendedNegotiationSubItem()
        item.sop_class_uid = args[0]
        item.service_class_uid = args[1]
        item.related_general_sop_class_identification = list(args[2])
    elif kind == "identity_rq":
        item = pdu_items.UserIdentitySubItemRQ()
        item.user_identity_type = args[0]
        item.positive_response_requested = int(args[1])
        item.primary_field = args[2]
        item.secondary_field = args[3]
    elif kind == "identity_ac":
        item = pdu_items.UserIdentitySubItemAC()
        item.server_response = args[0]
    else:
        raise AssertionError(kind)
    return item


def model_of_pynd_user_item(item: Any) -> Model:
    match item:
        case pdu_items.MaximumLengthSubItem():
            return ("max", item.maximum_length_received)
        case pdu_items.ImplementationClassUIDSubItem():
            return ("class_uid", str(item.implementation_class_uid))
        case pdu_items.ImplementationVersionNameSubItem():
            return ("version_name", item.implementation_version_name)
        case pdu_items.AsynchronousOperationsWindowSubItem():
            return (
                "async",
                item.maximum_number_operations_invoked,
                item.maximum_number_operations_performed,
            )
        case pdu_items.SCP_SCU_RoleSelectionSubItem():
            return ("role", str(item.sop_class_uid), item.scu_role, item.scp_role)
        case pdu_items.SOPClassExtendedNegotiationSubItem():
            return ("ext", str(item.sop_class_uid), item.service_class_application_information)
        case pdu_items.SOPClassCommonExtendedNegotiationSubItem():
            return (
                "common",
                str(item.sop_class_uid),
                str(item.service_class_uid),
                tuple(str(uid) for uid in item.related_general_sop_class_identification),
            )
        case pdu_items.UserIdentitySubItemRQ():
            return (
                "identity_rq",
                item.user_identity_type,
                bool(item.positive_response_requested),
                item.primary_field,
                item.secondary_field,
            )
        case pdu_items.UserIdentitySubItemAC():
            return ("identity_ac", item.server_response)
    raise AssertionError(f"unexpected pynetdicom item {item!r}")


# --- PDUs: model <-> ours <-> pynetdicom --------------------------------------------

_app_contexts = st.one_of(st.just("1.2.840.10008.3.1.1.1"), uids)
_versions = st.one_of(st.just(1), st.integers(0, 0xFFFF).map(lambda v: v | 1))
rq_models = st.tuples(
    st.just("rq"),
    _versions,
    ae_titles,
    ae_titles,
    _app_contexts,
    st.lists(
        st.tuples(context_ids, uids, st.lists(uids, min_size=1, max_size=3).map(tuple)),
        min_size=1,
        max_size=5,
        unique_by=lambda context: context[0],  # IDs are unique (PS3.8 7.1.1.13)
    ).map(tuple),
    user_information_models,
)
_ac_contexts = st.one_of(
    st.tuples(context_ids, st.just(0), uids),
    st.tuples(context_ids, st.integers(1, 4), st.none() | uids),
)
ac_models = st.tuples(
    st.just("ac"),
    _versions,
    ae_titles,
    ae_titles,
    _app_contexts,
    st.lists(_ac_contexts, min_size=1, max_size=5, unique_by=lambda context: context[0]).map(tuple),
    user_information_models,
)
rj_models = st.one_of(
    st.tuples(st.just("rj"), st.integers(1, 2), st.just(1), st.integers(1, 10)),
    st.tuples(st.just("rj"), st.integers(1, 2), st.just(2), st.integers(1, 2)),
    st.tuples(st.just("rj"), st.integers(1, 2), st.just(3), st.integers(0, 7)),
)
pdata_models = st.tuples(
    st.just("pdata"),
    st.lists(
        st.tuples(context_ids, st.booleans(), st.booleans(), st.binary(max_size=64)),
        min_size=1,
        max_size=4,
    ).map(tuple),
)
abort_models = st.tuples(st.just("abort"), st.integers(0, 2), st.sampled_from([0, 1, 2, 4, 5, 6]))
pdu_models = st.one_of(
    rq_models,
    ac_models,
    rj_models,
    pdata_models,
    st.just(("release_rq",)),
    st.just(("release_rp",)),
    abort_models,
)


def ours_pdu(model: Model) -> object:
    kind = model[0]
    if kind == "rq":
        _, version, called, calling, app, contexts, items = model
        return AssociateRq(
            called_ae_title=called,
            calling_ae_title=calling,
            presentation_contexts=[
                PresentationContextRq(id=i, abstract_syntax=a, transfer_syntaxes=list(t))
                for i, a, t in contexts
            ],
            user_information=[ours_user_item(item) for item in items],
            application_context=app,
            protocol_version=version,
        )
    if kind == "ac":
        _, version, called, calling, app, contexts, items = model
        return AssociateAc(
            called_ae_title=called,
            calling_ae_title=calling,
            presentation_contexts=[
                PresentationContextAc(id=i, result=r, transfer_syntax=t) for i, r, t in contexts
            ],
            user_information=[ours_user_item(item) for item in items],
            application_context=app,
            protocol_version=version,
        )
    if kind == "rj":
        return AssociateRj(result=model[1], source=model[2], reason=model[3])
    if kind == "pdata":
        return PDataTf(
            pdvs=[
                Pdv(context_id=c, is_command=cmd, is_last=last, data=data)
                for c, cmd, last, data in model[1]
            ]
        )
    if kind == "release_rq":
        return ReleaseRq()
    if kind == "release_rp":
        return ReleaseRp()
    if kind == "abort":
        return Abort(source=model[1], reason=model[2])
    raise AssertionError(kind)


def model_of_ours(value: object) -> Model:
    match value:
        case AssociateRq():
            return (
                "rq",
                value.protocol_version,
                value.called_ae_title,
                value.calling_ae_title,
                value.application_context,
                tuple(
                    (c.id, c.abstract_syntax, tuple(c.transfer_syntaxes))
                    for c in value.presentation_contexts
                ),
                tuple(model_of_ours_user_item(item) for item in value.user_information),
            )
        case AssociateAc():
            return (
                "ac",
                value.protocol_version,
                value.called_ae_title.decode("ascii").strip(" "),
                value.calling_ae_title.decode("ascii").strip(" "),
                value.application_context,
                tuple((c.id, c.result, c.transfer_syntax) for c in value.presentation_contexts),
                tuple(model_of_ours_user_item(item) for item in value.user_information),
            )
        case AssociateRj():
            return ("rj", value.result, value.source, value.reason)
        case PDataTf():
            return (
                "pdata",
                tuple((p.context_id, p.is_command, p.is_last, p.data) for p in value.pdvs),
            )
        case ReleaseRq():
            return ("release_rq",)
        case ReleaseRp():
            return ("release_rp",)
        case Abort():
            return ("abort", value.source, value.reason)
    raise AssertionError(f"unexpected PDU {value!r}")


def _pynd_user_information(items: tuple[Model, ...]) -> Any:
    user_information = pdu_items.UserInformationItem()
    user_information.user_data = [pynd_user_item(item) for item in items]
    return user_information


def _pynd_app_context(name: str) -> Any:
    item = pdu_items.ApplicationContextItem()
    item.application_context_name = name
    return item


def pynd_pdu(model: Model) -> Any:
    kind = model[0]
    if kind in ("rq", "ac"):
        _, version, called, calling, app, contexts, items = model
        value: Any = pdu.A_ASSOCIATE_RQ() if kind == "rq" else pdu.A_ASSOCIATE_AC()
        value.protocol_version = version
        if kind == "rq":
            value.called_ae_title = called
            value.calling_ae_title = calling
        else:
            value.reserved_aet = called
            value.reserved_aec = calling
        value.variable_items = [_pynd_app_context(app)]
        for context in contexts:
            value.variable_items.append(
                _pynd_context_rq(*context) if kind == "rq" else _pynd_context_ac(*context)
            )
        value.variable_items.append(_pynd_user_information(items))
        return value
    if kind == "rj":
        value = pdu.A_ASSOCIATE_RJ()
        value.result, value.source, value.reason_diagnostic = model[1:]
        return value
    if kind == "pdata":
        value = pdu.P_DATA_TF()
        for context_id, is_command, is_last, data in model[1]:
            item = pdu_items.PresentationDataValueItem()
            item.presentation_context_id = context_id
            item.presentation_data_value = bytes([is_command | is_last << 1]) + data
            value.presentation_data_value_items.append(item)
        return value
    if kind == "release_rq":
        return pdu.A_RELEASE_RQ()
    if kind == "release_rp":
        return pdu.A_RELEASE_RP()
    if kind == "abort":
        value = pdu.A_ABORT_RQ()
        value.source, value.reason_diagnostic = model[1:]
        return value
    raise AssertionError(kind)


def _pynd_context_rq(context_id: int, abstract_syntax: str, transfer_syntaxes: tuple[str]) -> Any:
    item = pdu_items.PresentationContextItemRQ()
    item.presentation_context_id = context_id
    abstract = pdu_items.AbstractSyntaxSubItem()
    abstract.abstract_syntax_name = abstract_syntax
    item.abstract_transfer_syntax_sub_items.append(abstract)
    for name in transfer_syntaxes:
        transfer = pdu_items.TransferSyntaxSubItem()
        transfer.transfer_syntax_name = name
        item.abstract_transfer_syntax_sub_items.append(transfer)
    return item


def _pynd_context_ac(context_id: int, result: int, transfer_syntax: str | None) -> Any:
    item = pdu_items.PresentationContextItemAC()
    item.presentation_context_id = context_id
    item.result_reason = result
    if transfer_syntax is not None:
        transfer = pdu_items.TransferSyntaxSubItem()
        transfer.transfer_syntax_name = transfer_syntax
        item.transfer_syntax_sub_item = [transfer]
    return item


_PYND_PDU_CLASSES = {
    0x01: pdu.A_ASSOCIATE_RQ,
    0x02: pdu.A_ASSOCIATE_AC,
    0x03: pdu.A_ASSOCIATE_RJ,
    0x04: pdu.P_DATA_TF,
    0x05: pdu.A_RELEASE_RQ,
    0x06: pdu.A_RELEASE_RP,
    0x07: pdu.A_ABORT_RQ,
}


def pynd_decode_pdu(data: bytes) -> Any:
    value = _PYND_PDU_CLASSES[data[0]]()
    value.decode(data)
    return value


def model_of_pynd(value: Any) -> Model:
    match value:
        case pdu.A_ASSOCIATE_RQ() | pdu.A_ASSOCIATE_AC():
            is_rq = isinstance(value, pdu.A_ASSOCIATE_RQ)
            contexts: list[tuple[Any, ...]] = []
            for context in value.presentation_context:
                if is_rq:
                    contexts.append(
                        (
                            context.context_id,
                            str(context.abstract_syntax),
                            tuple(str(uid) for uid in context.transfer_syntax),
                        )
                    )
                else:
                    syntax = context.transfer_syntax
                    contexts.append(
                        (
                            context.context_id,
                            context.result,
                            None if syntax is None else str(syntax),
                        )
                    )
            return (
                "rq" if is_rq else "ac",
                value.protocol_version,
                value.called_ae_title,
                value.calling_ae_title,
                str(value.application_context_name),
                tuple(contexts),
                tuple(model_of_pynd_user_item(item) for item in value.user_information.user_data),
            )
        case pdu.A_ASSOCIATE_RJ():
            return ("rj", value.result, value.source, value.reason_diagnostic)
        case pdu.P_DATA_TF():
            return (
                "pdata",
                tuple(
                    (
                        item.presentation_context_id,
                        bool(item.presentation_data_value[0] & 1),
                        bool(item.presentation_data_value[0] & 2),
                        item.presentation_data_value[1:],
                    )
                    for item in value.presentation_data_value_items
                ),
            )
        case pdu.A_RELEASE_RQ():
            return ("release_rq",)
        case pdu.A_RELEASE_RP():
            return ("release_rp",)
        case pdu.A_ABORT_RQ():
            return ("abort", value.source, value.reason_diagnostic)
    raise AssertionError(f"unexpected pynetdicom PDU {value!r}")


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


# --- command sets: model <-> ours <-> pynetdicom (pydicom) --------------------------

KEYWORDS = {
    "affected_sop_class_uid": "AffectedSOPClassUID",
    "requested_sop_class_uid": "RequestedSOPClassUID",
    "message_id": "MessageID",
    "message_id_being_responded_to": "MessageIDBeingRespondedTo",
    "move_destination": "MoveDestination",
    "priority": "Priority",
    "command_data_set_type": "CommandDataSetType",
    "status": "Status",
    "offending_element": "OffendingElement",
    "error_comment": "ErrorComment",
    "error_id": "ErrorID",
    "affected_sop_instance_uid": "AffectedSOPInstanceUID",
    "requested_sop_instance_uid": "RequestedSOPInstanceUID",
    "event_type_id": "EventTypeID",
    "attribute_identifier_list": "AttributeIdentifierList",
    "action_type_id": "ActionTypeID",
    "number_of_remaining_suboperations": "NumberOfRemainingSuboperations",
    "number_of_completed_suboperations": "NumberOfCompletedSuboperations",
    "number_of_failed_suboperations": "NumberOfFailedSuboperations",
    "number_of_warning_suboperations": "NumberOfWarningSuboperations",
    "move_originator_application_entity_title": "MoveOriginatorApplicationEntityTitle",
    "move_originator_message_id": "MoveOriginatorMessageID",
}
ATTRIBUTES = {keyword: name for name, keyword in KEYWORDS.items()}
_LISTS = ("offending_element", "attribute_identifier_list")
# pynetdicom's message classes, C_STORE_RQ ... N_DELETE_RSP, by Command Field.
PYND_MESSAGES = {field: cls for field, (_name, cls) in dimse_messages._MESSAGE_TYPES.items()}


@st.composite
def command_models(draw: st.DrawFn, command_field: int | None = None) -> Model:
    """(command field, sorted (attribute, value) pairs) for one DIMSE message type."""
    if command_field is None:
        command_field = draw(st.sampled_from(sorted(PYND_MESSAGES)))
    _name, required, optional, data_set = COMMANDS[command_field]
    fields = {name: draw(FIELD_VALUES[name]) for name in required}
    for name in optional:
        if draw(st.booleans()):
            fields[name] = draw(FIELD_VALUES[name])
    data_set_types = {"yes": [0x0001], "no": [0x0101], "maybe": [0x0001, 0x0101]}[data_set]
    fields["command_data_set_type"] = draw(st.sampled_from(data_set_types))
    return (command_field, tuple(sorted((k, _freeze(v)) for k, v in fields.items())))


def _freeze(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def ours_command(model: Model) -> CommandSet:
    command_field, fields = model
    return CommandSet(command_field, **{k: list(v) if k in _LISTS else v for k, v in fields})


def model_of_ours_command(command: CommandSet) -> Model:
    fields = [(name, _freeze(getattr(command, name))) for name in KEYWORDS]
    return (command.command_field, tuple(sorted((k, v) for k, v in fields if v is not None)))


def pynd_command_dataset(model: Model) -> Dataset:
    """The command set as pynetdicom builds it, Command Group Length included."""
    command_field, fields = model
    ds = Dataset()
    ds.CommandField = command_field
    for name, value in fields:
        setattr(ds, KEYWORDS[name], list(value) if name in _LISTS else value)
    ds.CommandGroupLength = len(pynd_encode_dataset(ds, True, True))
    return ds


def model_of_pynd_command(ds: Dataset) -> Model:
    command_field = None
    fields = []
    for element in ds:
        if element.keyword == "CommandGroupLength":
            continue
        if element.keyword == "CommandField":
            command_field = element.value
            continue
        name = ATTRIBUTES[element.keyword]
        value = element.value
        if name in _LISTS:
            value = tuple(int(tag) for tag in (value if element.VM > 1 else [value]))
        elif isinstance(value, str):
            value = str(value)
        fields.append((name, value))
    return (command_field, tuple(sorted(fields)))


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


# --- fragmentation and reassembly ---------------------------------------------------

_even_bytes = st.binary(max_size=4000).map(lambda b: b + b"\0" * (len(b) % 2))
# pynetdicom cannot fragment below 8; odd maxima are a divergence, tested below.
_even_max_pdus = st.sampled_from([0, 8, 10, 64, 1000, 4096, 16382])


def split_pdus(stream: bytes) -> list[bytes]:
    pdus, offset = [], 0
    while offset < len(stream):
        length = int.from_bytes(stream[offset + 2 : offset + 6], "big")
        pdus.append(stream[offset : offset + 6 + length])
        offset += 6 + length
    assert offset == len(stream)
    return pdus


def pynd_reassemble(stream: bytes) -> tuple[Any, int]:
    """pynetdicom's receiving path: P_DATA_TF.decode, to_primitive, decode_msg."""
    message = dimse_messages.DIMSEMessage()
    pdus = split_pdus(stream)
    for index, raw in enumerate(pdus):
        pdata = pdu.P_DATA_TF()
        pdata.decode(raw)
        if message.decode_msg(pdata.to_primitive()):
            assert index == len(pdus) - 1, "pynetdicom finished before the last PDU"
            return message, len(pdus)
    raise AssertionError("pynetdicom did not complete the message")


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


# --- divergences (see tests/DIVERGENCES.md) -----------------------------------------


def _rq_with_user_items(items: list[object]) -> bytes:
    return AssociateRq(
        called_ae_title="ANY-SCP",
        calling_ae_title="FINDSCU",
        presentation_contexts=[
            PresentationContextRq(
                id=1, abstract_syntax="1.2.840.10008.1.1", transfer_syntaxes=["1.2.840.10008.1.2"]
            )
        ],
        user_information=items,
    ).encode()


def test_divergence_unknown_user_information_sub_items_are_kept_not_fatal() -> None:
    """PS3.8 D.2 note 2: unrecognised sub-items are ignored, never a reason to fail."""
    items = [
        MaximumLength(value=16382),
        UnknownUserItem(item_type=0x5F, data=b"future"),
        ImplementationClassUid(uid="1.2.3.4"),
    ]
    encoded = _rq_with_user_items(items)
    assert decode_pdu(encoded).user_information == items
    with pytest.raises(KeyError):
        pynd_decode_pdu(encoded)


def test_divergence_fragments_are_even_even_with_an_odd_maximum() -> None:
    """PS3.8 E.1: each fragment of a message shall consist of an even number of bytes."""
    command = ours_command(
        (
            0x0001,
            (
                ("affected_sop_class_uid", "1.2.840.10008.5.1.4.1.1.2"),
                ("affected_sop_instance_uid", "1.2.3.4.5"),
                ("command_data_set_type", 0x0001),
                ("message_id", 7),
                ("priority", 0),
            ),
        )
    )
    data_set = bytes(range(256)) * 8
    max_pdu = 101  # room for 95 bytes of fragment
    ours = split_pdus(fragment_message(max_pdu, 1, command.encode(), data_set))
    assert all((len(raw) - 12) % 2 == 0 and len(raw) - 6 <= max_pdu for raw in ours)

    message = dimse_messages.C_STORE_RQ()
    message.command_set = pynd_command_dataset(model_of_ours_command(command))
    message.data_set = io.BytesIO(data_set)
    theirs = [pdu.P_DATA_TF(p).encode() for p in message.encode_msg(1, max_pdu)]
    assert any((len(raw) - 12) % 2 for raw in theirs)
    # Odd fragments are still reassembled: the receiver is lenient here.
    receiver = Receiver(max_pdu)
    (event,) = receiver.feed(b"".join(theirs))
    assert bytes(event.data_set) == data_set


def test_divergence_an_empty_data_set_still_sends_its_last_fragment() -> None:
    """PS3.8 E.2: the last fragment of a data set carries the 'last' bit; PS3.7
    6.3.1: a Command Data Set Type other than 0101H means a data set follows.
    pynetdicom sends no data set fragment at all for an empty data set."""
    command = ours_command(
        (
            0x0020,
            (
                ("affected_sop_class_uid", "1.2.840.10008.5.1.4.1.2.1.1"),
                ("command_data_set_type", 0x0001),
                ("message_id", 1),
                ("priority", 0),
            ),
        )
    )
    ours = split_pdus(fragment_message(16382, 1, command.encode(), b""))
    assert [raw[11] for raw in ours] == [0x03, 0x02]  # last command, then last (empty) data
    (event,) = Receiver().feed(b"".join(ours))
    assert bytes(event.data_set) == b""

    message = dimse_messages.C_FIND_RQ()
    message.command_set = pynd_command_dataset(model_of_ours_command(command))
    message.data_set = io.BytesIO(b"")
    theirs = [pdu.P_DATA_TF(p).encode() for p in message.encode_msg(1, 16382)]
    assert len(theirs) == 1  # the command only: a receiver waits for the data set forever
    receiver = Receiver()
    assert receiver.feed(b"".join(theirs)) == []
    assert receiver.message_pending


def test_divergence_command_group_length_is_checked() -> None:
    """PS3.7 E.1 (Table E.1-1): Command Group Length is the even number of bytes
    that follow it; pynetdicom never reads it, we refuse a wrong one."""
    ds = pynd_command_dataset(
        (
            0x0030,
            (
                ("affected_sop_class_uid", "1.2.840.10008.1.1"),
                ("command_data_set_type", 0x0101),
                ("message_id", 1),
            ),
        )
    )
    ds.CommandGroupLength += 2
    encoded = pynd_encode_dataset(ds, True, True)
    assert pynd_decode_dataset(io.BytesIO(encoded), True, True).MessageID == 1
    with pytest.raises(DecodeError) as caught:
        decode_command_set(encoded)
    assert caught.value.kind == "InvalidValue"


def test_divergence_a_command_without_its_mandatory_elements_is_refused() -> None:
    """PS3.7 9.3.1.1 (Table 9.3-1): a C-STORE-RQ's Affected SOP Instance UID is
    mandatory; pynetdicom decodes the command set without it."""
    ds = Dataset()
    ds.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.CommandField = 0x0001
    ds.MessageID = 1
    ds.Priority = 0
    ds.CommandDataSetType = 0x0001
    ds.CommandGroupLength = len(pynd_encode_dataset(ds, True, True))
    encoded = pynd_encode_dataset(ds, True, True)
    assert "AffectedSOPInstanceUID" not in pynd_decode_dataset(io.BytesIO(encoded), True, True)
    with pytest.raises(DecodeError) as caught:
        decode_command_set(encoded)
    assert (caught.value.kind, caught.value.field) == (
        "Missing",
        "(0000,1000) Affected SOP Instance UID",
    )


def test_divergence_ac_reserved_fields_are_kept_byte_for_byte() -> None:
    """PS3.8 9.3.3 (Table 9-17): the AC's bytes 11-42 are sent with the RQ's values
    and not tested on receipt. pynetdicom strips them to text and re-pads them,
    so leading spaces, NULs or non-ASCII bytes do not survive."""
    called = b"  LEADING-SPACE "
    calling = b"NUL-PADDED\0\0\0\0\0\0"
    ac = AssociateAc(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=[
            PresentationContextAc(id=1, result=0, transfer_syntax="1.2.840.10008.1.2")
        ],
        user_information=[MaximumLength(value=0)],
    )
    encoded = ac.encode()
    assert encoded[10:42] == called + calling
    decoded = decode_pdu(encoded)
    assert (decoded.called_ae_title, decoded.calling_ae_title) == (called, calling)
    assert decoded.encode() == encoded
    assert pynd_decode_pdu(encoded).encode()[10:42] != called + calling


def test_uid_padding_in_items_is_accepted_on_receipt() -> None:
    """PS3.8 Annex F: UIDs in items are sent unpadded (both encoders agree); a
    trailing NUL from older peers is tolerated by both decoders."""
    encoded = bytearray(_rq_with_user_items([MaximumLength(value=0)]))
    abstract = encoded.index(b"1.2.840.10008.1.1")
    item_start = abstract - 4  # the abstract syntax sub-item (PS3.8 Table 9-14)
    context_start = item_start - 8  # its presentation context item (Table 9-13)
    assert (encoded[item_start], encoded[context_start]) == (0x30, 0x20)
    encoded[abstract + 17 : abstract + 17] = b"\0"
    for length_at, size in ((item_start + 2, 2), (context_start + 2, 2), (2, 4)):
        length = int.from_bytes(encoded[length_at : length_at + size], "big") + 1
        encoded[length_at : length_at + size] = length.to_bytes(size, "big")
    decoded = decode_pdu(bytes(encoded))
    assert decoded.presentation_contexts[0].abstract_syntax == "1.2.840.10008.1.1"
    assert str(pynd_decode_pdu(bytes(encoded)).presentation_context[0].abstract_syntax) == (
        "1.2.840.10008.1.1"
    )


def test_pynetdicom_tag_helper_agrees_with_our_tag_encoding() -> None:
    """AT values are (group << 16 | element), as pydicom's Tag."""
    command = ours_command(
        (
            0x8001,
            (
                ("command_data_set_type", 0x0101),
                ("message_id_being_responded_to", 3),
                ("offending_element", (0x00100010, 0x00080018)),
                ("status", 0xC000),
            ),
        )
    )
    decoded = pynd_decode_dataset(io.BytesIO(command.encode()), True, True)
    assert list(decoded.OffendingElement) == [Tag(0x0010, 0x0010), Tag(0x0008, 0x0018)]


def test_divergence_blank_called_ae_title_decodes_so_that_it_can_be_rejected() -> None:
    """PS3.8 9.3.2 (Table 9-11): 16 spaces shall not be used as a Called AE title;
    the acceptor answers A-ASSOCIATE-RJ (Table 9-21, reason 7). We decode it as
    "" and leave the answer to the policy; pynetdicom fails inside PDU decoding."""
    raw = bytearray(_rq_with_user_items([MaximumLength(value=0)]))
    raw[10:26] = b" " * 16
    assert decode_pdu(bytes(raw)).called_ae_title == ""
    with pytest.raises(ValueError, match="entirely of spaces"):
        pynd_decode_pdu(bytes(raw))


def _set_reserved_fields(raw: bytes, value: int) -> bytes:
    """`raw` (an A-ASSOCIATE-RQ/AC) with every reserved field set to `value`."""
    out = bytearray(raw)
    out[1] = value  # PDU header
    out[8:10] = bytes([value]) * 2  # Table 9-11 / 9-17 bytes 9-10
    if out[0] == 0x01:
        out[42:74] = bytes([value]) * 32  # Table 9-11 bytes 43-74
    offset = 74
    while offset < len(out):
        item_type, length = out[offset], int.from_bytes(out[offset + 2 : offset + 4], "big")
        out[offset + 1] = value
        body = range(offset + 4, offset + 4 + length)
        if item_type == 0x20:  # Table 9-13 bytes 6-8
            out[offset + 5 : offset + 8] = bytes([value]) * 3
            _set_sub_item_reserved(out, body.start + 4, body.stop, value)
        elif item_type == 0x21:  # Table 9-18 bytes 6 and 8
            out[offset + 5] = out[offset + 7] = value
            _set_sub_item_reserved(out, body.start + 4, body.stop, value)
        elif item_type == 0x50:
            _set_sub_item_reserved(out, body.start, body.stop, value)
        offset = body.stop
    return bytes(out)


def _set_sub_item_reserved(out: bytearray, start: int, stop: int, value: int) -> None:
    while start < stop:
        if out[start] != 0x57:  # byte 2 of 57H is the sub-item version, not reserved
            out[start + 1] = value
        start += 4 + int.from_bytes(out[start + 2 : start + 4], "big")


@settings(max_examples=40, deadline=None)
@given(st.one_of(rq_models, ac_models), st.integers(1, 255))
def test_reserved_fields_are_not_tested_on_receipt(model: Model, value: int) -> None:
    """PS3.8 9.3 tables: reserved fields are sent as 00H and not tested when received."""
    encoded = ours_pdu(model).encode()  # type: ignore[attr-defined]
    changed = _set_reserved_fields(encoded, value)
    assert changed != encoded
    assert model_of_ours(decode_pdu(changed)) == model
    assert model_of_pynd(pynd_decode_pdu(changed)) == model


@pytest.mark.parametrize(
    "name", [b"\xff\xfe", b"not a UID \x01", b"9" * 80], ids=["non-ASCII", "control", "too long"]
)
def test_rejected_context_transfer_syntax_is_not_tested(name: bytes) -> None:
    """PS3.8 9.3.3.2 (Table 9-18): when Result/Reason is not acceptance, the transfer
    syntax sub-item is not significant and its value shall not be tested."""
    ac = AssociateAc(
        called_ae_title="ANY-SCP",
        calling_ae_title="STORESCU",
        presentation_contexts=[
            PresentationContextAc(id=1, result=0, transfer_syntax="1.2.840.10008.1.2"),
            PresentationContextAc(id=3, result=3, transfer_syntax="1.2"),
        ],
        user_information=[MaximumLength(value=0)],
    )
    raw = bytearray(ac.encode())
    at = raw.rindex(b"\x40\x00\x00\x031.2")
    raw[at : at + 7] = b"\x40\x00" + len(name).to_bytes(2, "big") + name
    delta = len(name) - 3
    context_at = raw.rindex(b"\x21\x00", 0, at)
    for length_at, size in ((context_at + 2, 2), (2, 4)):
        length = int.from_bytes(raw[length_at : length_at + size], "big") + delta
        raw[length_at : length_at + size] = length.to_bytes(size, "big")
    decoded = decode_pdu(bytes(raw))
    assert [(c.id, c.result) for c in decoded.presentation_contexts] == [(1, 0), (3, 3)]
    assert decoded.presentation_contexts[0].transfer_syntax == "1.2.840.10008.1.2"
    assert decoded.presentation_contexts[1].transfer_syntax is None
