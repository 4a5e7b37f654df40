"""The checked parameters of the DIMSE primitives (pynetdicom's validation).

Each is a descriptor that checks an assigned value, raising ``TypeError`` or
``ValueError`` with pynetdicom 3.0.4's messages, and stores it under a private
name on the instance; several data-set parameters share one slot, as in
pynetdicom.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from io import BytesIO
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, cast, overload

from fastdimse._validation import as_uid
from fastdimse.utils import checked_uid, decode_bytes, set_ae

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom.tag import BaseTag
    from pydicom.uid import UID

__all__ = [
    "AttributeIdentifiers",
    "Checked",
    "Count",
    "DataSet",
    "Int",
    "MoveDestination",
    "MoveOriginatorAE",
    "Priority",
    "UInt16",
    "Uid",
    "copy_uids",
]

LOGGER = logging.getLogger("fastdimse.dimse_primitives")

_G = TypeVar("_G")
_S = TypeVar("_S")


class Checked(Generic[_G, _S]):
    def __init__(self, slot: str, default: Any = None) -> None:
        self.slot = slot
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Checked[_G, _S]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> _G: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Checked[_G, _S] | _G:
        if obj is None:
            return self
        value: _G = obj.__dict__.get(self.slot, self.default)
        return value

    def __set__(self, obj: object, value: _S) -> None:
        obj.__dict__[self.slot] = self.check(value)

    def check(self, value: _S) -> _G:
        raise NotImplementedError


class Count(Checked["int | None", "int | None"]):
    """A number of sub-operations: an int >= 0 (at most `maximum` if given), or None."""

    def __init__(self, slot: str, label: str, maximum: int | None = None) -> None:
        super().__init__(slot)
        self.label = label
        self.maximum = maximum

    def check(self, value: int | None) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int):
            raise TypeError(f"{self.label} must be an int")
        if self.maximum is not None and not 0 <= value <= self.maximum:
            raise ValueError(f"{self.label} must be between 0 and {self.maximum}, inclusive")
        if value < 0:
            raise ValueError(f"{self.label} must be greater than or equal to 0")
        return value


class UInt16(Count):
    """A message ID: an int in 0..65535, or None."""

    def __init__(self, slot: str, label: str) -> None:
        super().__init__(slot, label, 0xFFFF)


class Int(Checked["int | None", "int | None"]):
    """Any int (Status, Event Type ID, Action Type ID), or None."""

    def __init__(self, slot: str, message: str) -> None:
        super().__init__(slot)
        self.message = message

    def check(self, value: int | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        raise TypeError(self.message)


class Uid(Checked["UID | None", "str | bytes | None"]):
    """A UID (str, bytes or pydicom UID), read as a pydicom UID; an empty value
    is stored as None.

    Kept as the checked str until first read, then as the UID made of it: a
    message built and sent, or received and answered, by code that reads its
    UIDs with :meth:`raw` makes no UID and needs no pydicom.
    """

    def __init__(self, slot: str, label: str) -> None:
        super().__init__(slot)
        self.label = label

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Uid: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> UID | None: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Uid | UID | None:
        if obj is None:
            return self
        value = obj.__dict__.get(self.slot)
        if value is None:
            return None
        uid = obj.__dict__[self.slot] = as_uid(value)
        return uid

    def raw(self, obj: object) -> str | None:
        """The value as stored: the checked str, or the UID it became once read."""
        value: str | None = obj.__dict__.get(self.slot)
        return value

    def check(self, value: str | bytes | None) -> UID | None:
        return cast("UID | None", checked_uid(value, self.label) or None)


def copy_uids(source: object, target: object, *keywords: str) -> None:
    """Copy UID parameters from one primitive to another of the same class as they are
    stored: checked already, so no check is repeated and no pydicom UID is made."""
    for keyword in keywords:
        descriptor = getattr(type(source), keyword)
        if not isinstance(descriptor, Uid) or getattr(type(target), keyword) is not descriptor:
            raise TypeError(f"{keyword} is not a UID parameter of both primitives")
        target.__dict__[descriptor.slot] = descriptor.raw(source)


class Priority(Checked[int, int]):
    def __init__(self) -> None:
        super().__init__("_priority", 0x02)

    def check(self, value: int) -> int:
        if value in (0, 1, 2):
            return value
        LOGGER.warning("Attempted to set Priority parameter to an invalid value")
        raise ValueError("Priority must be 0, 1, or 2")


class DataSet(Checked["BytesIO | None", "BytesIO | bytes | bytearray | memoryview | None"]):
    """An encoded data set: a BytesIO (bytes-like values are wrapped, bytes
    without a copy), or None."""

    def __init__(self, keyword: str) -> None:
        super().__init__("_dataset")
        self.keyword = keyword

    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        value = super().__get__(obj, owner)
        if obj is None or value is not None:
            return value
        # A received C-STORE data set lives in its spool file: read only if asked for.
        spooled: tuple[Path, int] | None = obj.__dict__.get("_spooled")
        if spooled is None:
            return None
        path, offset = spooled
        with open(path, "rb") as file:
            file.seek(offset)
            stream = BytesIO(file.read())
        obj.__dict__[self.slot] = stream
        return stream

    def check(self, value: BytesIO | bytes | bytearray | memoryview | None) -> BytesIO | None:
        if value is None or isinstance(value, BytesIO):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return BytesIO(value)
        raise TypeError(f"'{self.keyword}' parameter must be a BytesIO object")


class MoveDestination(Checked["str | None", "str | bytes | None"]):
    def __init__(self) -> None:
        super().__init__("_move_destination")

    def check(self, value: str | bytes | None) -> str | None:
        if isinstance(value, bytes):
            warnings.warn(
                "The use of bytes with 'Move Destination' is deprecated, use an ASCII str instead",
                DeprecationWarning,
                stacklevel=3,
            )
            value = decode_bytes(value).strip()
        return set_ae(value, "Move Destination", allow_empty=False)


class MoveOriginatorAE(Checked["str | None", "str | bytes | None"]):
    """An invalid title is logged and stored as None (the C-STORE still
    proceeds: the element is optional)."""

    def __init__(self) -> None:
        super().__init__("_move_originator_application_entity_title")

    def check(self, value: str | bytes | None) -> str | None:
        if isinstance(value, bytes):
            warnings.warn(
                "The use of bytes with 'Move Originator AE Title' is deprecated, use "
                "an ASCII str instead",
                DeprecationWarning,
                stacklevel=3,
            )
            value = decode_bytes(value).strip()
        try:
            return set_ae(value, "Move Originator AE Title")
        except ValueError:
            LOGGER.error("Invalid 'Move Originator AE Title' in C-STORE request")
            return None


TagList: TypeAlias = "BaseTag | list[BaseTag] | None"


class AttributeIdentifiers(Checked[TagList, Any]):
    """Tags: one value gives a single tag, a sequence of two or more a list
    (pynetdicom's convention, including a 2-tuple read as two tags)."""

    def __init__(self) -> None:
        super().__init__("_attribute_identifier_list")

    def check(self, value: Any) -> BaseTag | list[BaseTag] | None:
        if value is None:
            return None
        from pydicom.tag import Tag

        try:
            if isinstance(value, Sequence):
                if len(value) == 1:
                    return Tag(value[0])
                return [Tag(tag) for tag in value]
            return Tag(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                "Attribute Identifier List must be convertible to a pydicom BaseTag "
                "or list of BaseTag"
            ) from None
