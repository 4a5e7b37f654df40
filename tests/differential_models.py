"""The neutral models of the differential tests with pynetdicom 3.0.4
(tests/test_differential_*.py).

Each side is reached through a "model" (plain tuples), so that neither library's objects are
compared with the other's: PDUs and user information sub-items to and from ours and
pynetdicom's, command sets to and from ours and pydicom's, the Hypothesis strategies that
draw them, and pynetdicom's reassembly of a stream of P-DATA-TF PDUs.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pynetdicom import dimse_messages, pdu, pdu_items
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
    PDataTf,
    Pdv,
    PresentationContextAc,
    PresentationContextRq,
    ReleaseRp,
    ReleaseRq,
    RoleSelection,
    SopClassCommonExtended,
    SopClassExtended,
    UserIdentityAc,
    UserIdentityRq,
)
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
