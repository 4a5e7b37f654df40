"""fastdimse.utils and fastdimse._config."""

from __future__ import annotations

import logging
import threading
from codecs import BOM_UTF32_LE
from contextvars import ContextVar
from io import BytesIO

import pytest
from pydicom.uid import UID

from fastdimse import _config, utils
from helpers import require_module

pd_config = require_module("pynetdicom._config")
pd_validators = require_module("pynetdicom._validators")

OPTIONS = [
    "LOG_HANDLER_LEVEL",
    "ENFORCE_UID_CONFORMANCE",
    "USE_SHORT_DIMSE_AET",
    "LOG_RESPONSE_IDENTIFIERS",
    "LOG_REQUEST_IDENTIFIERS",
    "STORE_SEND_CHUNKED_DATASET",
    "STORE_RECV_CHUNKED_DATASET",
    "PASS_CONTEXTVARS",
    "WINDOWS_TIMER_RESOLUTION",
    "CODECS",
    "UNRESTRICTED_STORAGE_SERVICE",
]


@pytest.mark.parametrize("name", OPTIONS)
def test_config_defaults_equal_pynetdicom(name: str) -> None:
    assert getattr(_config, name) == getattr(pd_config, name)
    assert sorted(_config.VALIDATORS) == sorted(pd_config.VALIDATORS)


AE_VALUES = [
    "",
    "A",
    "a" * 16,
    "a" * 17,
    " " * 16,
    " " * 17,
    "  a  ",
    "AE\\X",
    "AE\tX",
    "AE\x7fX",
    "\u200b5",
    b"A",
    12,
]


@pytest.mark.parametrize("value", AE_VALUES)
def test_validate_ae_equals_pynetdicom(value: object) -> None:
    assert utils.validate_ae(value) == pd_validators.validate_ae(value)


UID_VALUES = ["", " ", "a", "a" * 65, "1", " 1", "1.2.03", "0.1.2.4", "1" * 64, b"1"]


@pytest.mark.parametrize("enforce", [False, True])
@pytest.mark.parametrize("value", UID_VALUES)
def test_validate_ui_equals_pynetdicom(
    value: object, enforce: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", enforce)
    monkeypatch.setattr(pd_config, "ENFORCE_UID_CONFORMANCE", enforce)
    with pytest.MonkeyPatch.context() as m:
        m.setattr("warnings.warn", lambda *a, **k: None)  # pydicom's UID() length warning
        assert utils.validate_ui(value) == pd_validators.validate_ui(value)
        if isinstance(value, str):
            assert utils.validate_uid(UID(value)) == (utils.validate_ui(value)[0])


def test_set_ae() -> None:
    assert utils.set_ae(None, "x") is None
    assert utils.set_ae("  AE ", "x") == "  AE "
    with pytest.raises(TypeError, match="'x' must be str or None, not 'int'"):
        utils.set_ae(1, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'x' must be str, not 'NoneType'"):
        utils.set_ae(None, "x", allow_none=False)
    with pytest.raises(ValueError, match="Invalid 'x' value - must not be an empty str"):
        utils.set_ae("", "x", allow_empty=False)
    with pytest.raises(ValueError, match="Invalid 'x' value 'A\\\\B' - must not contain"):
        utils.set_ae("A\\B", "x")


# pydicom's UID() itself warns about a non-conformant value (as under pynetdicom)
@pytest.mark.filterwarnings("ignore:Invalid value for VR UI:UserWarning")
def test_set_uid(caplog: pytest.LogCaptureFixture) -> None:
    uid = utils.set_uid(b"1.2.3", "foo")
    assert isinstance(uid, UID) and uid == "1.2.3"
    with pytest.raises(TypeError, match="'foo' must be str, bytes or UID, not 'NoneType'"):
        utils.set_uid(None, "foo", allow_none=False)
    with pytest.raises(ValueError, match="Invalid 'foo' value - must not be an empty str"):
        utils.set_uid("", "foo", allow_empty=False)
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        assert utils.set_uid("1.2.03", "foo") == "1.2.03"
    assert "Non-conformant 'foo' value '1.2.03'" in caplog.text


def test_decode_bytes_fallbacks(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert utils.decode_bytes(b"ABC") == "ABC"
    bad = BOM_UTF32_LE + "1.2".encode("utf_32_le")
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        with pytest.raises(
            ValueError, match=r"Unable to decode 'FF FE 00 00 31.*' using the ascii codec\(s\)"
        ):
            utils.decode_bytes(bad)
    assert "'ascii' codec can't decode byte 0xff in position 0" in caplog.text
    monkeypatch.setattr(_config, "CODECS", ("ascii", "utf_32"))
    assert utils.decode_bytes(bad) == "1.2"
    monkeypatch.setattr(_config, "CODECS", ("ascii", "latin_1"))
    assert utils.decode_bytes("Zoë".encode("latin_1")) == "Zo"


def test_pretty_bytes() -> None:
    data = bytes(range(40))
    lines = utils.pretty_bytes(data)
    assert lines[0] == "  " + "  ".join(f"{b:02x}" for b in range(16))
    assert len(lines) == 3
    cut = utils.pretty_bytes(BytesIO(data), prefix="", delimiter="", items_per_line=10, max_size=25)
    assert cut == ["Only dumping 25 bytes.", data[:10].hex(), data[10:20].hex()]
    assert utils.pretty_bytes(data, suffix="!")[-1].endswith("!")


def test_make_target_passes_contextvars(monkeypatch: pytest.MonkeyPatch) -> None:
    var: ContextVar[str] = ContextVar("var")
    var.set("here")
    seen: list[str | None] = []

    def target() -> None:
        seen.append(var.get(None))

    for enabled in (False, True):
        monkeypatch.setattr(_config, "PASS_CONTEXTVARS", enabled)
        thread = threading.Thread(target=utils.make_target(target))
        thread.start()
        thread.join()
    assert seen == [None, "here"]


def test_timer_resolution_is_a_no_op_off_windows() -> None:
    with utils.set_timer_resolution(1):
        pass


def test_checked_uid_strips_any_str_as_pydicom_uid_does() -> None:
    """A str subclass (not a pydicom UID) with surrounding spaces is stripped too, as
    pydicom's UID strips it: what goes on the wire has no spaces."""
    from fastdimse._upper.contexts import PresentationContext, to_core_rq
    from fastdimse.utils import checked_uid

    class Text(str):
        pass

    assert checked_uid(Text(" 1.2.840.10008.1.1 "), "uid") == "1.2.840.10008.1.1"
    context = PresentationContext()
    context.context_id = 1
    context.abstract_syntax = Text("1.2.840.10008.1.1 ")
    context.transfer_syntax = ["1.2.840.10008.1.2"]
    assert to_core_rq(context).abstract_syntax == "1.2.840.10008.1.1"
