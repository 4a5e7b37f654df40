"""DCMTK's tools as the real peer, in both directions.

``echoscu`` -> our SCP, and our SCU (the API) -> ``storescp`` (which answers
C-ECHO). DCMTK runs with TCP_NODELAY=1 and accepts maximum PDUs 4096..131072.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from fastdimse import AE, evt
from helpers import DEADLINE, LOCALHOST, run_app, run_dcmtk, wait_until

from .conftest import (
    BIG_ENDIAN,
    EXPLICIT,
    IMPLICIT,
    JPEG_BASELINE,
    MODALITY_WORKLIST_FIND,
    VERIFICATION,
    Served,
)


def their_max_pdu(output: str) -> int:
    """The acceptor's maximum PDU as echoscu -d reports it after the A-ASSOCIATE-AC."""
    found = re.findall(r"Their Max PDU Receive Size:\s+(\d+)", output)
    if not found:
        raise AssertionError(f"no maximum PDU in echoscu's output:\n{output}")
    return int(found[-1])


class Recorder:
    """Collects what our server's handlers see, from the association threads."""

    def __init__(self) -> None:
        self.echoes: list[int] = []
        self.established: list[Any] = []
        self.aborted = threading.Event()
        self.released = threading.Event()
        self.requestor_max: list[int] = []

    def handlers(self) -> list[tuple[Any, Callable[..., Any]]]:
        return [
            (evt.EVT_C_ECHO, self._echo),
            (evt.EVT_ESTABLISHED, self._established),
            (evt.EVT_ABORTED, lambda event: self.aborted.set()),
            (evt.EVT_RELEASED, lambda event: self.released.set()),
        ]

    def _echo(self, event: Any) -> int:
        self.echoes.append(event.message_id)
        return 0x0000

    def _established(self, event: Any) -> None:
        self.established.append(event.assoc)
        self.requestor_max.append(event.assoc.requestor.maximum_length)


# -- DCMTK echoscu -> our SCP ------------------------------------------------------


class TestEchoscuToOurSCP:
    def test_echo(self, serve: Callable[..., Served]) -> None:
        seen = Recorder()
        ours = serve(evt_handlers=seen.handlers())
        result = run_dcmtk("echoscu", "-v", "-aec", "OURSCP", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout
        assert "Received Echo Response (Success)" in result.stdout
        assert len(seen.echoes) == 1
        assert [a.requestor.ae_title for a in seen.established] == ["ECHOSCU"]
        assert seen.released.is_set()
        assert wait_until(lambda: not ours.ae.active_associations)

    def test_repeat_echoes_on_one_association(self, serve: Callable[..., Served]) -> None:
        seen = Recorder()
        ours = serve(evt_handlers=seen.handlers())
        result = run_dcmtk("echoscu", "-v", "--repeat", "25", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout
        assert result.stdout.count("Received Echo Response (Success)") == 25
        assert seen.echoes == list(range(1, 26))
        assert len(seen.established) == 1
        assert wait_until(lambda: not ours.ae.active_associations)

    @pytest.mark.parametrize("ours_max", [4096, 16382, 131072])
    @pytest.mark.parametrize("theirs_max", [4096, 131072])
    def test_maximum_pdu(
        self,
        serve: Callable[..., Served],
        our_aes: Callable[[str], AE],
        ours_max: int,
        theirs_max: int,
    ) -> None:
        ae = our_aes("OURSCP")
        ae.add_supported_context(VERIFICATION)
        ae.maximum_pdu_size = ours_max
        seen = Recorder()
        ours = serve(ae, evt_handlers=seen.handlers())
        result = run_dcmtk(
            "echoscu", "-d", "--repeat", "3", "-pdu", str(theirs_max), LOCALHOST, str(ours.port)
        )
        assert result.returncode == 0, result.stdout
        assert result.stdout.count("Received Echo Response (Success)") == 3
        # Each side sees the other's maximum.
        assert their_max_pdu(result.stdout) == ours_max
        assert f"Max Send PDV: {ours_max - 12}" in result.stdout
        assert seen.requestor_max == [theirs_max]

    def test_transfer_syntax_not_supported(
        self, serve: Callable[..., Served], our_aes: Callable[[str], AE]
    ) -> None:
        # echoscu proposes Implicit VR Little Endian alone (-pts 1, its default).
        ae = our_aes("OURSCP")
        ae.add_supported_context(VERIFICATION, [EXPLICIT, BIG_ENDIAN])
        seen = Recorder()
        ours = serve(ae, evt_handlers=seen.handlers())
        result = run_dcmtk("echoscu", "-v", LOCALHOST, str(ours.port))
        assert result.returncode != 0
        assert "No Acceptable Presentation Contexts" in result.stdout
        assert seen.echoes == []
        assert wait_until(lambda: not ours.ae.active_associations)
        # Proposing two (Implicit, Explicit): Explicit is ours, so accepted.
        result = run_dcmtk("echoscu", "-v", "-pts", "2", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout
        assert len(seen.echoes) == 1

    def test_acceptor_transfer_syntax_preference(
        self, serve: Callable[..., Served], our_aes: Callable[[str], AE]
    ) -> None:
        # echoscu -pts 3 proposes Implicit, Explicit, Big Endian (in that order);
        # we prefer Big Endian, then Explicit: our order wins.
        ae = our_aes("OURSCP")
        ae.add_supported_context(VERIFICATION, [BIG_ENDIAN, EXPLICIT])
        seen = Recorder()
        ours = serve(ae, evt_handlers=seen.handlers())
        result = run_dcmtk("echoscu", "-d", "-pts", "3", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout
        accepted = re.findall(r"Accepted Transfer Syntax:\s+=?(\S+)", result.stdout)
        assert accepted and accepted[-1] in ("BigEndianExplicit", BIG_ENDIAN), result.stdout
        [server_assoc] = seen.established
        assert server_assoc.accepted_contexts[0].transfer_syntax[0] == BIG_ENDIAN

    def test_called_ae_title_refused(
        self, serve: Callable[..., Served], our_aes: Callable[[str], AE]
    ) -> None:
        ae = our_aes("OURSCP")
        ae.add_supported_context(VERIFICATION)
        ae.require_called_aet = True
        seen = Recorder()
        ours = serve(ae, evt_handlers=seen.handlers())
        result = run_dcmtk("echoscu", "-v", "-aec", "SOMEONE", LOCALHOST, str(ours.port))
        assert result.returncode != 0
        assert "Association Rejected" in result.stdout
        assert "Rejected Permanent" in result.stdout
        assert "Called AE Title Not Recognized" in result.stdout
        assert seen.established == []
        assert wait_until(lambda: not ours.ae.active_associations)
        result = run_dcmtk("echoscu", "-v", "-aec", "OURSCP", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout

    def test_echoscu_aborts(self, serve: Callable[..., Served]) -> None:
        seen = Recorder()
        ours = serve(evt_handlers=seen.handlers())
        result = run_dcmtk("echoscu", "-v", "--abort", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout
        assert "Received Echo Response (Success)" in result.stdout
        assert "Aborting Association" in result.stdout
        assert len(seen.echoes) == 1
        assert seen.aborted.wait(DEADLINE)
        assert not seen.released.is_set()
        [server_assoc] = seen.established
        assert wait_until(lambda: server_assoc.is_aborted)
        assert wait_until(lambda: not ours.ae.active_associations)


# -- our SCU -> DCMTK storescp ------------------------------------------------------


def our_scu(our_aes: Callable[[str], AE], *contexts: tuple[str, list[str]]) -> AE:
    ae = our_aes("OURSCU")
    for abstract, syntaxes in contexts or ((VERIFICATION, [IMPLICIT]),):
        ae.add_requested_context(abstract, syntaxes)
    return ae


class TestOurSCUToStorescp:
    @pytest.mark.parametrize("max_pdu", [4096, 16382, 131072])
    def test_echo_and_release(
        self, storescp: Callable[..., int], our_aes: Callable[[str], AE], max_pdu: int
    ) -> None:
        port = storescp("-pdu", "131072")
        released: list[Any] = []
        assoc = our_scu(our_aes).associate(
            LOCALHOST,
            port,
            ae_title="STORESCP",
            max_pdu=max_pdu,
            evt_handlers=[(evt.EVT_RELEASED, released.append)],
        )
        assert assoc.is_established
        assert [cx.abstract_syntax for cx in assoc.accepted_contexts] == [VERIFICATION]
        assert assoc.accepted_contexts[0].transfer_syntax == [IMPLICIT]
        assert assoc.rejected_contexts == []
        assert assoc.acceptor.maximum_length == 131072
        for msg_id in range(1, 4):
            assert assoc.send_c_echo(msg_id=msg_id).Status == 0x0000
        assoc.release()
        assert assoc.is_released and not assoc.is_established
        assert len(released) == 1
        assert wait_until(lambda: not assoc.ae.active_associations)

    def test_storescp_default_maximum_pdu(
        self, storescp: Callable[..., int], our_aes: Callable[[str], AE]
    ) -> None:
        assoc = our_scu(our_aes).associate(LOCALHOST, storescp(), max_pdu=0)
        assert assoc.is_established
        assert assoc.acceptor.maximum_length == 16384
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()

    def test_abort_then_storescp_still_serves(
        self, storescp: Callable[..., int], our_aes: Callable[[str], AE]
    ) -> None:
        port = storescp()
        scu = our_scu(our_aes)
        assoc = scu.associate(LOCALHOST, port)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.abort()
        assert assoc.is_aborted and not assoc.is_established
        assert wait_until(lambda: not scu.active_associations)
        # storescp serves one peer at a time: it is free again once the abort went through.
        again = scu.associate(LOCALHOST, port)
        assert again.is_established
        assert again.send_c_echo().Status == 0x0000
        again.release()

    def test_abstract_syntax_not_supported(
        self, storescp: Callable[..., int], our_aes: Callable[[str], AE]
    ) -> None:
        scu = our_scu(our_aes, (VERIFICATION, [IMPLICIT]), (MODALITY_WORKLIST_FIND, [IMPLICIT]))
        assoc = scu.associate(LOCALHOST, storescp())
        assert assoc.is_established
        assert [cx.abstract_syntax for cx in assoc.accepted_contexts] == [VERIFICATION]
        assert [(cx.abstract_syntax, cx.result) for cx in assoc.rejected_contexts] == [
            (MODALITY_WORKLIST_FIND, 0x03)
        ]
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()

    def test_only_unsupported_abstract_syntax(
        self, storescp: Callable[..., int], our_aes: Callable[[str], AE]
    ) -> None:
        scu = our_scu(our_aes, (MODALITY_WORKLIST_FIND, [IMPLICIT]))
        assoc = scu.associate(LOCALHOST, storescp())
        # No context accepted: the requestor aborts (pynetdicom's behaviour).
        assert not assoc.is_established
        assert assoc.is_aborted
        assert wait_until(lambda: not scu.active_associations)

    def test_transfer_syntax_not_supported(
        self, storescp: Callable[..., int], our_aes: Callable[[str], AE]
    ) -> None:
        scu = our_scu(our_aes, (VERIFICATION, [IMPLICIT]), (VERIFICATION, [JPEG_BASELINE]))
        assoc = scu.associate(LOCALHOST, storescp())
        assert assoc.is_established
        assert [cx.transfer_syntax for cx in assoc.accepted_contexts] == [[IMPLICIT]]
        assert [cx.result for cx in assoc.rejected_contexts] == [0x04]
        assoc.release()


def test_our_echoscu_app_to_storescp(storescp: Callable[..., int]) -> None:
    """Our echoscu app gets storescp's answer: a status 0 alone would also come from a peer
    that accepts the association and never answers (echoscu exits with 0 once established)."""
    port = storescp()
    result = run_app("echoscu", "-v", "--repeat", "2", "-td", str(DEADLINE), LOCALHOST, str(port))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("I: Received Echo Response (Status: 0x0000 - Success)") == 2, (
        result.stderr
    )
    assert "DIMSE timeout" not in result.stderr
    assert "I: Releasing Association" in result.stderr
