"""Type stub of fastdimse._core, the Rust protocol core (checked by mypy.stubtest)."""

from collections.abc import Sequence
from typing import TypeAlias, final

from typing_extensions import Buffer

from fastdimse.errors import DataSetTooLargeError

__all__ = [
    "READ_SIZE",
    "Abort",
    "AssociateAc",
    "AssociateRj",
    "AssociateRq",
    "AsyncOpsWindow",
    "CommandSet",
    "DataSetBuffer",
    "DataSetStart",
    "FileDataSetSender",
    "ImplementationClassUid",
    "ImplementationVersionName",
    "MaximumLength",
    "Message",
    "PDataTf",
    "PDataTfHeader",
    "Pdv",
    "PresentationContextAc",
    "PresentationContextRq",
    "RawPdu",
    "Receiver",
    "ReleaseRp",
    "ReleaseRq",
    "RoleSelection",
    "SopClassCommonExtended",
    "SopClassExtended",
    "UnknownUserItem",
    "UserIdentityAc",
    "UserIdentityRq",
    "__version__",
    "decode_command_set",
    "decode_pdu",
    "encode_command_set",
    "encode_pdu",
    "fragment_message",
    "scan_data_set_bytes",
    "scan_data_set_file",
]

__version__: str
READ_SIZE: int

_Bytes: TypeAlias = bytes | bytearray | memoryview

# PDUs (PS3.8 9.3)

@final
class AssociateRq:
    def __new__(
        cls,
        called_ae_title: str,
        calling_ae_title: str,
        presentation_contexts: Sequence[PresentationContextRq],
        user_information: Sequence[_UserItem],
        application_context: str = ...,
        protocol_version: int = 1,
    ) -> AssociateRq: ...
    @property
    def called_ae_title(self) -> str: ...
    @property
    def calling_ae_title(self) -> str: ...
    @property
    def presentation_contexts(self) -> list[PresentationContextRq]: ...
    @property
    def user_information(self) -> list[_UserItem]: ...
    @property
    def application_context(self) -> str: ...
    @property
    def protocol_version(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class AssociateAc:
    def __new__(
        cls,
        called_ae_title: bytes | str,
        calling_ae_title: bytes | str,
        presentation_contexts: Sequence[PresentationContextAc],
        user_information: Sequence[_UserItem],
        application_context: str = ...,
        protocol_version: int = 1,
    ) -> AssociateAc: ...
    @property
    def called_ae_title(self) -> bytes: ...
    @property
    def calling_ae_title(self) -> bytes: ...
    @property
    def presentation_contexts(self) -> list[PresentationContextAc]: ...
    @property
    def user_information(self) -> list[_UserItem]: ...
    @property
    def application_context(self) -> str: ...
    @property
    def protocol_version(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class AssociateRj:
    def __new__(cls, result: int, source: int, reason: int) -> AssociateRj: ...
    @property
    def result(self) -> int: ...
    @property
    def source(self) -> int: ...
    @property
    def reason(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class PDataTf:
    def __new__(cls, pdvs: Sequence[Pdv]) -> PDataTf: ...
    @property
    def pdvs(self) -> list[Pdv]: ...
    def encode(self) -> bytes: ...

@final
class Pdv:
    def __new__(cls, context_id: int, is_command: bool, is_last: bool, data: bytes) -> Pdv: ...
    @property
    def context_id(self) -> int: ...
    @property
    def is_command(self) -> bool: ...
    @property
    def is_last(self) -> bool: ...
    @property
    def control(self) -> int: ...
    @property
    def data(self) -> bytes: ...
    def encode(self) -> bytes: ...

@final
class ReleaseRq:
    def __new__(cls) -> ReleaseRq: ...
    def encode(self) -> bytes: ...

@final
class ReleaseRp:
    def __new__(cls) -> ReleaseRp: ...
    def encode(self) -> bytes: ...

@final
class Abort:
    def __new__(cls, source: int, reason: int) -> Abort: ...
    @property
    def source(self) -> int: ...
    @property
    def reason(self) -> int: ...
    def encode(self) -> bytes: ...

_Pdu: TypeAlias = AssociateRq | AssociateAc | AssociateRj | PDataTf | ReleaseRq | ReleaseRp | Abort

# Presentation context items

@final
class PresentationContextRq:
    def __new__(
        cls, id: int, abstract_syntax: str, transfer_syntaxes: Sequence[str]
    ) -> PresentationContextRq: ...
    @property
    def id(self) -> int: ...
    @property
    def abstract_syntax(self) -> str: ...
    @property
    def transfer_syntaxes(self) -> list[str]: ...
    def encode(self) -> bytes: ...

@final
class PresentationContextAc:
    def __new__(
        cls, id: int, result: int, transfer_syntax: str | None
    ) -> PresentationContextAc: ...
    @property
    def id(self) -> int: ...
    @property
    def result(self) -> int: ...
    @property
    def transfer_syntax(self) -> str | None: ...
    def encode(self) -> bytes: ...

# User information sub-items (PS3.8 D.3.3, PS3.7 D.3.3)

@final
class MaximumLength:
    def __new__(cls, value: int) -> MaximumLength: ...
    @property
    def value(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class ImplementationClassUid:
    def __new__(cls, uid: str) -> ImplementationClassUid: ...
    @property
    def uid(self) -> str: ...
    def encode(self) -> bytes: ...

@final
class ImplementationVersionName:
    def __new__(cls, name: str) -> ImplementationVersionName: ...
    @property
    def name(self) -> str: ...
    def encode(self) -> bytes: ...

@final
class AsyncOpsWindow:
    def __new__(
        cls, max_operations_invoked: int, max_operations_performed: int
    ) -> AsyncOpsWindow: ...
    @property
    def max_operations_invoked(self) -> int: ...
    @property
    def max_operations_performed(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class RoleSelection:
    def __new__(cls, sop_class_uid: str, scu_role: int, scp_role: int) -> RoleSelection: ...
    @property
    def sop_class_uid(self) -> str: ...
    @property
    def scu_role(self) -> int: ...
    @property
    def scp_role(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class SopClassExtended:
    def __new__(
        cls, sop_class_uid: str, service_class_application_information: bytes
    ) -> SopClassExtended: ...
    @property
    def sop_class_uid(self) -> str: ...
    @property
    def service_class_application_information(self) -> bytes: ...
    def encode(self) -> bytes: ...

@final
class SopClassCommonExtended:
    def __new__(
        cls,
        sop_class_uid: str,
        service_class_uid: str,
        related_general_sop_classes: Sequence[str],
        version: int = 0,
    ) -> SopClassCommonExtended: ...
    @property
    def sop_class_uid(self) -> str: ...
    @property
    def service_class_uid(self) -> str: ...
    @property
    def related_general_sop_classes(self) -> list[str]: ...
    @property
    def version(self) -> int: ...
    def encode(self) -> bytes: ...

@final
class UserIdentityRq:
    def __new__(
        cls,
        identity_type: int,
        positive_response_requested: bool,
        primary_field: bytes,
        secondary_field: bytes = ...,
    ) -> UserIdentityRq: ...
    @property
    def identity_type(self) -> int: ...
    @property
    def positive_response_requested(self) -> bool: ...
    @property
    def primary_field(self) -> bytes: ...
    @property
    def secondary_field(self) -> bytes: ...
    def encode(self) -> bytes: ...

@final
class UserIdentityAc:
    def __new__(cls, server_response: bytes) -> UserIdentityAc: ...
    @property
    def server_response(self) -> bytes: ...
    def encode(self) -> bytes: ...

@final
class UnknownUserItem:
    def __new__(cls, item_type: int, data: bytes) -> UnknownUserItem: ...
    @property
    def item_type(self) -> int: ...
    @property
    def data(self) -> bytes: ...
    def encode(self) -> bytes: ...

_UserItem: TypeAlias = (
    MaximumLength
    | ImplementationClassUid
    | ImplementationVersionName
    | AsyncOpsWindow
    | RoleSelection
    | SopClassExtended
    | SopClassCommonExtended
    | UserIdentityRq
    | UserIdentityAc
    | UnknownUserItem
)

def decode_pdu(data: _Bytes, *, enforce_uid_conformance: bool = False) -> _Pdu: ...
def encode_pdu(pdu: _Pdu) -> bytes: ...

# DIMSE command sets (PS3.7 Annex E)

@final
class CommandSet:
    def __new__(
        cls,
        command_field: int,
        *,
        affected_sop_class_uid: str | None = None,
        requested_sop_class_uid: str | None = None,
        message_id: int | None = None,
        message_id_being_responded_to: int | None = None,
        move_destination: str | None = None,
        priority: int | None = None,
        command_data_set_type: int = 0x0101,
        status: int | None = None,
        offending_element: Sequence[int] | None = None,
        error_comment: str | None = None,
        error_id: int | None = None,
        affected_sop_instance_uid: str | None = None,
        requested_sop_instance_uid: str | None = None,
        event_type_id: int | None = None,
        attribute_identifier_list: Sequence[int] | None = None,
        action_type_id: int | None = None,
        number_of_remaining_suboperations: int | None = None,
        number_of_completed_suboperations: int | None = None,
        number_of_failed_suboperations: int | None = None,
        number_of_warning_suboperations: int | None = None,
        move_originator_application_entity_title: str | None = None,
        move_originator_message_id: int | None = None,
        unknown: Sequence[tuple[int, bytes]] = ...,
    ) -> CommandSet: ...
    @property
    def command_field(self) -> int: ...
    @property
    def affected_sop_class_uid(self) -> str | None: ...
    @property
    def requested_sop_class_uid(self) -> str | None: ...
    @property
    def message_id(self) -> int | None: ...
    @property
    def message_id_being_responded_to(self) -> int | None: ...
    @property
    def move_destination(self) -> str | None: ...
    @property
    def priority(self) -> int | None: ...
    @property
    def command_data_set_type(self) -> int: ...
    @property
    def status(self) -> int | None: ...
    @property
    def offending_element(self) -> list[int] | None: ...
    @property
    def error_comment(self) -> str | None: ...
    @property
    def error_id(self) -> int | None: ...
    @property
    def affected_sop_instance_uid(self) -> str | None: ...
    @property
    def requested_sop_instance_uid(self) -> str | None: ...
    @property
    def event_type_id(self) -> int | None: ...
    @property
    def attribute_identifier_list(self) -> list[int] | None: ...
    @property
    def action_type_id(self) -> int | None: ...
    @property
    def number_of_remaining_suboperations(self) -> int | None: ...
    @property
    def number_of_completed_suboperations(self) -> int | None: ...
    @property
    def number_of_failed_suboperations(self) -> int | None: ...
    @property
    def number_of_warning_suboperations(self) -> int | None: ...
    @property
    def move_originator_application_entity_title(self) -> str | None: ...
    @property
    def move_originator_message_id(self) -> int | None: ...
    @property
    def unknown(self) -> list[tuple[int, bytes]]: ...
    @property
    def has_data_set(self) -> bool: ...
    @property
    def command_name(self) -> str | None: ...
    def unexpected_elements(self) -> list[int]: ...
    def missing_elements(self) -> list[int]: ...
    def encode(self) -> bytes: ...

def decode_command_set(data: _Bytes, *, enforce_uid_conformance: bool = False) -> CommandSet: ...
def encode_command_set(cmd: CommandSet) -> bytes: ...

# Receiving

@final
class DataSetBuffer(Buffer):
    """A received data set, exported read-only through the buffer protocol."""

    def __new__(cls, data: _Bytes) -> DataSetBuffer: ...
    def __len__(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...

@final
class Message:
    def __new__(
        cls,
        context_id: int,
        command: CommandSet,
        data_set: DataSetBuffer | None = None,
        data_set_length: int | None = None,
        data_set_error: OSError | DataSetTooLargeError | None = None,
    ) -> Message: ...
    @property
    def context_id(self) -> int: ...
    @property
    def command(self) -> CommandSet: ...
    @property
    def data_set(self) -> DataSetBuffer | None: ...
    @property
    def data_set_length(self) -> int | None: ...
    @property
    def data_set_error(self) -> OSError | DataSetTooLargeError | None: ...

@final
class DataSetStart:
    def __new__(cls, context_id: int, command: CommandSet) -> DataSetStart: ...
    @property
    def context_id(self) -> int: ...
    @property
    def command(self) -> CommandSet: ...

@final
class PDataTfHeader:
    def __new__(cls, length: int) -> PDataTfHeader: ...
    @property
    def length(self) -> int: ...

@final
class RawPdu:
    def __new__(cls, data: bytes) -> RawPdu: ...
    @property
    def data(self) -> bytes: ...

_Event: TypeAlias = (
    AssociateRq
    | AssociateAc
    | AssociateRj
    | ReleaseRq
    | ReleaseRp
    | Abort
    | Message
    | DataSetStart
    | PDataTfHeader
    | RawPdu
)

@final
class Receiver:
    def __new__(
        cls,
        local_max_pdu: int = 16382,
        *,
        max_associate_pdu: int = 1048576,
        max_memory_data_set: int = 1048576,
        enforce_uid_conformance: bool = False,
        observe_pdus: bool = False,
        report_pdata: bool = False,
        announce_data_sets: bool = False,
    ) -> Receiver: ...
    def feed(self, data: _Bytes) -> list[_Event]: ...
    def resume(self, fd: int | None = None) -> list[_Event]: ...
    def receive_from(
        self,
        fd: int,
        timeout: float | None,
        *,
        until_event: bool = True,
        idle_timeout: float | None = None,
    ) -> bool | None: ...
    def take_events(self) -> list[_Event]: ...
    @property
    def report_pdata(self) -> bool: ...
    @report_pdata.setter
    def report_pdata(self, value: bool, /) -> None: ...
    @property
    def partial_pdu_pending(self) -> bool: ...
    @property
    def events_pending(self) -> bool: ...
    @property
    def message_pending(self) -> bool: ...
    def finish(self) -> None: ...

# Sending

def fragment_message(
    peer_max_pdu: int, context_id: int, command: bytes, data_set: _Bytes | None = None
) -> bytes: ...

@final
class FileDataSetSender:
    def __new__(
        cls,
        peer_max_pdu: int,
        context_id: int,
        command: bytes,
        fd: int,
        offset: int,
        length: int,
        chunk_size: int = 4194304,
        *,
        pad_odd_length: bool = False,
    ) -> FileDataSetSender: ...
    def __iter__(self) -> FileDataSetSender: ...
    def __next__(self) -> bytes: ...
    def send_to(self, fd: int, timeout: float | None = None) -> int: ...

# The structural scan of a data set (fastdimse._files.scan)

# (transfer syntax, SOP Class UID, SOP Instance UID, data set offset, data
# set length, elements)
_ScanTuple: TypeAlias = tuple[str, str | None, str | None, int, int, int]

def scan_data_set_file(
    fd: int, offset: int = 0, transfer_syntax: str | None = None
) -> _ScanTuple: ...
def scan_data_set_bytes(data: _Bytes, transfer_syntax: str | None = None) -> _ScanTuple: ...
