"""pytest-benchmark cases of the codec, fastdimse next to pynetdicom 3.0.4.

Off in the normal test run (benches/ is not in testpaths). Run with
``pytest benches/bench_codec.py --benchmark-group-by=param:case``; the side by
side table with ratios is ``python benches/run_codec_bench.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

import fastdimse._core as core
import run_codec_bench as cases

BULK_SIZE = 50 * cases.MIB


def _associate_pair(kind: str) -> tuple[bytes, object, object]:
    ours = cases.ours_associate_rq() if kind == "rq" else cases.ours_associate_ac()
    encoded = ours.encode()
    return encoded, ours, cases.pynd_from_bytes(encoded)


@pytest.mark.parametrize("kind", ["rq", "ac"])
@pytest.mark.parametrize("library", ["fastdimse", "pynetdicom"])
def test_associate_decode(benchmark: BenchmarkFixture, kind: str, library: str) -> None:
    encoded, _ours, _theirs = _associate_pair(kind)
    if library == "fastdimse":
        checksum = benchmark(lambda: cases.touch_ours_associate(core.decode_pdu(encoded)))
    else:
        checksum = benchmark(lambda: cases.touch_pynd_associate(cases.pynd_from_bytes(encoded)))
    assert checksum > 0


@pytest.mark.parametrize("kind", ["rq", "ac"])
@pytest.mark.parametrize("library", ["fastdimse", "pynetdicom"])
def test_associate_encode(benchmark: BenchmarkFixture, kind: str, library: str) -> None:
    encoded, ours, theirs = _associate_pair(kind)
    value = ours if library == "fastdimse" else theirs
    assert benchmark(value.encode) == encoded  # type: ignore[attr-defined]


@pytest.mark.parametrize("library", ["fastdimse", "pynetdicom"])
def test_c_store_command_decode(benchmark: BenchmarkFixture, library: str) -> None:
    encoded = cases.ours_c_store_rq().encode()
    if library == "fastdimse":
        benchmark(lambda: cases.touch_ours_command(core.decode_command_set(encoded)))
    else:
        benchmark(
            lambda: cases.touch_pynd_command(
                cases.pynd_decode_dataset(io.BytesIO(encoded), True, True)
            )
        )


@pytest.mark.parametrize("library", ["fastdimse", "pynetdicom"])
def test_c_store_command_encode(benchmark: BenchmarkFixture, library: str) -> None:
    command, dataset = cases.ours_c_store_rq(), cases.pynd_c_store_rq()
    encode: Callable[[], bytes] = (
        command.encode
        if library == "fastdimse"
        else lambda: cases.pynd_encode_dataset(dataset, True, True)
    )
    assert benchmark(encode) == command.encode()


@pytest.fixture(scope="module")
def data_set() -> bytes:
    return bytes(range(256)) * (BULK_SIZE // 256)


def _pedantic(benchmark: BenchmarkFixture, function: Callable[[], object]) -> object:
    return benchmark.pedantic(function, rounds=5, iterations=1, warmup_rounds=1)


def test_memory_copy(benchmark: BenchmarkFixture, data_set: bytes) -> None:
    assert len(_pedantic(benchmark, lambda: bytearray(data_set))) == len(data_set)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_pdu", [16 * 1024, cases.MIB], ids=["16KiB", "1MiB"])
@pytest.mark.parametrize("library", ["fastdimse", "pynetdicom"])
def test_fragment(benchmark: BenchmarkFixture, data_set: bytes, max_pdu: int, library: str) -> None:
    if library == "fastdimse":
        command = cases.ours_c_store_rq().encode()
        _pedantic(benchmark, lambda: cases.ours_fragment(max_pdu, command, data_set))
    else:
        dataset = cases.pynd_c_store_rq()
        _pedantic(benchmark, lambda: cases.pynd_fragment(max_pdu, dataset, data_set))


@pytest.mark.parametrize("read_size", [64 * 1024, cases.MIB], ids=["64KiB-reads", "1MiB-reads"])
@pytest.mark.parametrize("max_pdu", [16 * 1024, cases.MIB], ids=["16KiB", "1MiB"])
def test_reassemble_fastdimse(
    benchmark: BenchmarkFixture, data_set: bytes, max_pdu: int, read_size: int
) -> None:
    stream = cases.ours_fragment(max_pdu, cases.ours_c_store_rq().encode(), data_set)
    result = _pedantic(benchmark, lambda: cases.ours_reassemble(stream, max_pdu, read_size))
    assert result == (0x0001 + 7, len(data_set))


@pytest.mark.parametrize("max_pdu", [16 * 1024, cases.MIB], ids=["16KiB", "1MiB"])
def test_reassemble_pynetdicom(benchmark: BenchmarkFixture, data_set: bytes, max_pdu: int) -> None:
    pdus = cases.pynd_fragment(max_pdu, cases.pynd_c_store_rq(), data_set)
    result = _pedantic(benchmark, lambda: cases.pynd_reassemble(pdus))
    assert result == (0x0001 + 7, len(data_set))
