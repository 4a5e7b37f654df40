"""SOP classes by keyword, service class lookup and register_uid."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from fastdimse import sop_class
from fastdimse.sop_class import SOPClass, register_uid, uid_to_service_class, uid_to_sop_class
from helpers import require_module

ROOT = Path(__file__).resolve().parents[1]


class ServiceClass:
    pass


class VerificationServiceClass(ServiceClass):
    pass


class StorageServiceClass(ServiceClass):
    pass


class QueryRetrieveServiceClass(ServiceClass):
    _SUPPORTED_UIDS: ClassVar[dict[str, list[str]]] = {"C-FIND": [], "C-GET": [], "C-MOVE": []}


class BasicWorklistManagementServiceClass(QueryRetrieveServiceClass):
    _SUPPORTED_UIDS: ClassVar[dict[str, list[str]]] = {"C-FIND": []}


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A stand-in fastdimse.service_class defining only some service classes."""
    module = types.ModuleType("fastdimse.service_class")
    for klass in (
        ServiceClass,
        VerificationServiceClass,
        StorageServiceClass,
        QueryRetrieveServiceClass,
        BasicWorklistManagementServiceClass,
    ):
        setattr(module, klass.__name__, klass)
    QueryRetrieveServiceClass._SUPPORTED_UIDS = {"C-FIND": [], "C-GET": [], "C-MOVE": []}
    BasicWorklistManagementServiceClass._SUPPORTED_UIDS = {"C-FIND": []}
    monkeypatch.setitem(sys.modules, "fastdimse.service_class", module)
    monkeypatch.setitem(sys.modules, "fastdimse.service_class_n", None)  # type: ignore[arg-type]
    return module


@pytest.fixture
def cleanup() -> Iterator[None]:
    """Undo registrations: restore the groups and module attributes."""
    snapshot = {id(g): dict(g) for g, _ in sop_class._GROUP_SERVICE}
    names = set(vars(sop_class))
    yield
    for group, _ in sop_class._GROUP_SERVICE:
        group.clear()
        group.update(snapshot[id(group)])
    for name in set(vars(sop_class)) - names:
        delattr(sop_class, name)


def test_same_names_and_uids_as_pynetdicom() -> None:
    pyn = require_module("pynetdicom.sop_class")
    for group, _ in sop_class._GROUP_SERVICE:
        name = next(n for n, v in vars(sop_class).items() if v is group and n.startswith("_"))
        assert getattr(pyn, name) == group, name
        for keyword, uid in group.items():
            assert getattr(sop_class, keyword) == uid
            assert isinstance(getattr(sop_class, keyword), SOPClass)
    for name in ("DisplaySystemInstance", "PrinterInstance", "UPSGlobalSubscriptionInstance"):
        assert getattr(sop_class, name) == getattr(pyn, name)


def test_generated_table_is_current(tmp_path: Path) -> None:
    require_module("pynetdicom")
    out = tmp_path / "table.py"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_sop_classes.py"), str(out)], check=True
    )
    spec = importlib.util.find_spec("fastdimse._sop_class_table")
    assert spec is not None and spec.origin is not None
    assert out.read_text() == Path(spec.origin).read_text()


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError):
        sop_class.NoSuchStorage  # noqa: B018


def test_service_class_lookup(services: types.ModuleType) -> None:
    assert sop_class.Verification.service_class is VerificationServiceClass
    assert sop_class.CTImageStorage.service_class is StorageServiceClass
    assert uid_to_service_class("1.2.840.10008.4.2") is StorageServiceClass  # a Service Class UID
    assert uid_to_service_class("1.2.840.10008.5.1.4.1.2.2.1") is QueryRetrieveServiceClass
    # a service the service module does not define (yet) falls back to ServiceClass
    assert sop_class.PrintJob.service_class is ServiceClass
    assert uid_to_service_class("1.2.3.4") is ServiceClass


def test_uid_to_sop_class(services: types.ModuleType) -> None:
    assert uid_to_sop_class("1.2.840.10008.1.1") is sop_class.Verification
    unknown = uid_to_sop_class("1.2.3.4")
    assert unknown == "1.2.3.4" and unknown.service_class is ServiceClass
    assert SOPClass(unknown) is unknown


def test_register_storage(services: types.ModuleType, cleanup: None) -> None:
    register_uid("1.2.246.352.70.1.70", "FooStorage", StorageServiceClass)
    assert sop_class.FooStorage == "1.2.246.352.70.1.70"
    assert sop_class.FooStorage.service_class is StorageServiceClass
    assert sop_class._STORAGE_CLASSES["FooStorage"] == "1.2.246.352.70.1.70"
    assert uid_to_sop_class("1.2.246.352.70.1.70") is sop_class.FooStorage


def test_register_query_retrieve(services: types.ModuleType, cleanup: None) -> None:
    register_uid("1.2.3.5", "FooMove", QueryRetrieveServiceClass, "C-MOVE")
    assert QueryRetrieveServiceClass._SUPPORTED_UIDS["C-MOVE"] == ["1.2.3.5"]
    assert sop_class._QR_CLASSES["FooMove"] == "1.2.3.5"
    register_uid("1.2.3.6", "FooWorklist", BasicWorklistManagementServiceClass)
    assert BasicWorklistManagementServiceClass._SUPPORTED_UIDS["C-FIND"] == ["1.2.3.6"]
    assert sop_class.FooWorklist.service_class is BasicWorklistManagementServiceClass


def test_register_refusals(services: types.ModuleType, cleanup: None) -> None:
    with pytest.raises(ValueError, match="'2coo' is not a valid Python identifier"):
        register_uid("1.2.3", "2coo", StorageServiceClass)
    with pytest.raises(ValueError, match="'def' is not a valid Python identifier"):
        register_uid("1.2.3", "def", StorageServiceClass)
    with pytest.raises(TypeError, match="must be a class object not a class instance"):
        register_uid("1.2.3", "Foo", StorageServiceClass())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a ServiceClass subclass"):
        register_uid("1.2.3", "Foo", str)
    with pytest.raises(ValueError, match="'dimse_msg_type' must be 'C-FIND', 'C-GET' or 'C-MOVE'"):
        register_uid("1.2.3", "Foo", QueryRetrieveServiceClass, "C-STORE")
    assert not hasattr(sop_class, "Foo")  # nothing half-registered
