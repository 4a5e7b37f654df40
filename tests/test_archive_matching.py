"""fastdimse.archive.matching: PS3.4 C.2.2.2 Attribute Matching, with the standard's
examples, and its SQL form checked against its Python form on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from pydicom import Dataset
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag, Tag
from pydicom.valuerep import PersonName

from fastdimse.archive.matching import (
    RETURN_ONLY_TAGS,
    Condition,
    MatchError,
    MatchKind,
    conditions_of,
    fold,
    matches,
    stored_form,
    stored_values,
    to_sql,
)

# A key of each VR is put on an element of that VR
_KEYWORD_OF_VR = {
    "AE": "StationAETitle",
    "AS": "PatientAge",
    "CS": "Modality",
    "DA": "StudyDate",
    "DS": "SliceThickness",
    "DT": "AcquisitionDateTime",
    "IS": "SeriesNumber",
    "LO": "PatientID",
    "LT": "AdditionalPatientHistory",
    "PN": "PatientName",
    "SH": "AccessionNumber",
    "ST": "InstitutionAddress",
    "TM": "StudyTime",
    "UI": "StudyInstanceUID",
    "UT": "TextValue",
}


def _tag(vr: str) -> BaseTag:
    tag = tag_for_keyword(_KEYWORD_OF_VR[vr])
    assert tag is not None
    return Tag(tag)


def key(vr: str, text: str) -> Condition:
    """The condition of an Identifier holding ``text`` as the encoded value of an element
    of ``vr``, decoded as pydicom decodes a received Identifier (invalid values included)."""
    identifier = Dataset()
    identifier.SpecificCharacterSet = "ISO_IR 192"
    raw = text.encode()
    raw += b" " * (len(raw) % 2)
    tag = _tag(vr)
    identifier[tag] = RawDataElement(tag, vr, len(raw), raw, 0, False, True)
    with warnings.catch_warnings():  # pydicom warns of values invalid for their VR
        warnings.simplefilter("ignore", UserWarning)
        [condition] = conditions_of(identifier)
    return condition


def accepted(condition: Condition, values: list[Any]) -> list[Any]:
    return [value for value in values if matches(condition, value)]


# --- Universal Matching (C.2.2.2.3) and "*" (C.2.2.2.4) --------------------------------


@pytest.mark.parametrize("vr", sorted(_KEYWORD_OF_VR))
def test_a_zero_length_key_is_universal_matching(vr: str) -> None:
    condition = key(vr, "")
    assert condition.kind is MatchKind.UNIVERSAL
    assert condition.tag == int(_tag(vr))
    assert condition.keyword == _KEYWORD_OF_VR[vr]
    assert all(matches(condition, value) for value in (None, "", "X", "20200101"))
    assert to_sql(condition, sa.column("v")) is None


@pytest.mark.parametrize(
    ("vr", "text"), [("CS", "*"), ("CS", "***"), ("CS", "CT\\*"), ("LO", "  *  "), ("PN", "*^=")]
)
def test_a_key_of_stars_is_universal_matching(vr: str, text: str) -> None:
    condition = key(vr, text)
    assert condition.kind is MatchKind.UNIVERSAL
    assert matches(condition, None)


# --- Empty Value Matching (C.2.2.2.7) ---------------------------------------------------


@pytest.mark.parametrize("vr", ["LO", "PN", "DA", "IS", "UI"])
def test_two_quotation_marks_match_only_empty_or_absent_values(vr: str) -> None:
    condition = key(vr, '""')
    assert condition.kind is MatchKind.EMPTY
    assert accepted(condition, [None, "", "  ", "1", "20200101", MultiValue(str, [])]) == [
        None,
        "",
        "  ",
        MultiValue(str, []),
    ]


# --- Single Value Matching (C.2.2.2.1) --------------------------------------------------


def test_single_value_matching_is_exact_and_case_sensitive() -> None:
    condition = key("CS", "CT")
    assert (condition.kind, condition.values) == (MatchKind.SINGLE, ("CT",))
    assert accepted(condition, ["CT", "CT ", "ct", "CTX", "C", "", None]) == ["CT", "CT "]


def test_single_value_matching_of_person_names_ignores_case() -> None:
    condition = key("PN", "doe^john")
    values = [PersonName("DOE^JOHN"), "Doe^John^^", "doe^john", "Doe^Johnny", "Doe", None]
    assert accepted(condition, values) == values[:3]


def test_numbers_match_by_value_not_by_spelling() -> None:
    assert accepted(key("IS", "0012"), ["12", 12, "+12", "120", "1"]) == ["12", 12, "+12"]
    assert accepted(key("DS", "1.50"), ["1.5", 1.5, "1.500", "15"]) == ["1.5", 1.5, "1.500"]


def test_a_dash_is_a_character_outside_date_and_time_keys() -> None:
    assert accepted(key("IS", "-5"), [-5, "-5", 5]) == [-5, "-5"]
    assert accepted(key("LO", "A-B"), ["A-B", "A", "B"]) == ["A-B"]


# --- Wild Card Matching (C.2.2.2.4) -----------------------------------------------------


def test_a_star_matches_any_run_of_characters_and_none() -> None:
    condition = key("LO", "Doe*")
    assert (condition.kind, condition.values) == (MatchKind.WILDCARD, ("Doe*",))
    assert accepted(condition, ["Doe", "Doe^John", "doe", "Do", "xDoe", None]) == [
        "Doe",
        "Doe^John",
    ]


def test_a_question_mark_matches_exactly_one_character() -> None:
    condition = key("SH", "M?NROE")
    assert accepted(condition, ["MONROE", "MUNROE", "MNROE", "MOONROE", "monroe"]) == [
        "MONROE",
        "MUNROE",
    ]


def test_wild_cards_in_person_names_ignore_case() -> None:
    condition = key("PN", "smi*^J?")
    assert accepted(condition, ["SMITH^JO", "Smith^Jo", "Smith^John", "SMI^J"]) == [
        "SMITH^JO",
        "Smith^Jo",
    ]


def test_wild_cards_never_match_an_empty_value() -> None:
    for text in ("?*", "*?", "a*"):
        assert accepted(key("LO", text), [None, "", "   "]) == []


@pytest.mark.parametrize("vr", ["AE", "LT", "ST", "UT"])
def test_wild_cards_work_in_every_text_vr(vr: str) -> None:
    assert accepted(key(vr, "A*Z"), ["AZ", "A to Z", "a to z", "AZ."]) == ["AZ", "A to Z"]


@pytest.mark.parametrize(
    ("vr", "text"),
    [
        ("DA", "2020*"),
        ("TM", "10?0"),
        ("DT", "2020*"),
        ("UI", "1.2.*"),
        ("IS", "1?"),
        ("AS", "0?Y"),
    ],
)
def test_wild_cards_are_refused_where_the_vr_cannot_hold_them(vr: str, text: str) -> None:
    with pytest.raises(MatchError, match="wild card"):
        key(vr, text)


def test_sql_wild_cards_in_a_key_are_plain_characters(sqlite: _Table) -> None:
    condition = key("LO", "a%_!*")
    values = ["a%_!", "a%_!x", "abc!", "a%x!", "ab_!", "a%_", None]
    assert accepted(condition, values) == ["a%_!", "a%_!x"]
    assert sqlite.select(condition, values) == [0, 1]


# --- List of UID Matching (C.2.2.2.2) ---------------------------------------------------


def test_a_list_of_uids_matches_any_of_them() -> None:
    condition = key("UI", "1.2.3\\1.2.4")
    assert (condition.kind, condition.values) == (MatchKind.UID_LIST, ("1.2.3", "1.2.4"))
    assert accepted(condition, ["1.2.4", "1.2.3", "1.2.5", "1.2", None]) == ["1.2.4", "1.2.3"]
    assert key("UI", "1.2.3").kind is MatchKind.SINGLE


# --- Range Matching (C.2.2.2.5) ---------------------------------------------------------

_DATES = ["20060704", "20060705", "20060706", "20060707", "20060708", "", None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20060705-20060707", ["20060705", "20060706", "20060707"]),  # C.2.2.2.5.1 a
        ("-20060706", ["20060704", "20060705", "20060706"]),  # b
        ("20060707-", ["20060707", "20060708"]),  # c
        ("20060706", ["20060706"]),
        ("200607", ["20060704", "20060705", "20060706", "20060707", "20060708"]),
        ("-", ["20060704", "20060705", "20060706", "20060707", "20060708"]),
    ],
)
def test_date_ranges_are_inclusive_with_open_ends(text: str, expected: list[str]) -> None:
    assert accepted(key("DA", text), _DATES) == expected


def test_dates_in_the_acr_nema_form_are_dates() -> None:
    assert accepted(key("DA", "2006.07.05-2006.07.06"), ["2006.07.06", "20060707"]) == [
        "2006.07.06"
    ]


def test_time_ranges_pad_a_partial_upper_bound_up() -> None:
    condition = key("TM", "1000-1800")  # C.2.2.2.5.2 a, the example of C.2.2.2.5.4
    assert condition.values == ("100000.000000", "180059.999999")
    times = ["0959", "1000", "123456.789", "18", "180059.999999", "1801", "", None]
    assert accepted(condition, times) == ["1000", "123456.789", "18", "180059.999999"]


def test_a_single_partial_time_matches_the_times_it_names() -> None:
    condition = key("TM", "10")
    assert accepted(condition, ["0959", "10", "1030", "105959.999999", "11"]) == [
        "10",
        "1030",
        "105959.999999",
    ]
    assert accepted(key("TM", "10:30"), ["1030", "103059", "1031"]) == ["1030", "103059"]


def test_datetime_ranges_take_utc_offsets_into_account() -> None:
    condition = key("DT", "20200101120000+0100-20200101130000+0100")  # C.2.2.2.5.3 d
    assert condition.values == ("20200101110000.000000", "20200101120000.999999")
    values = ["20200101110000", "20200101120000+0100", "20200101120000+0200", "2020010112"]
    assert accepted(condition, values) == values[:2] + values[3:]


def test_a_datetime_whose_dash_is_an_offset_is_a_single_value() -> None:
    condition = key("DT", "20200101-0500")
    assert condition.values == ("20200101050000.000000", "20200102045959.999999")
    assert key("DT", "2020-2021").values == ("20200101000000.000000", "20211231235959.999999")


@pytest.mark.parametrize(
    ("vr", "text"),
    [
        ("DA", "2006-07-05"),
        ("DA", "20060705-20060706-20060707"),
        ("DA", "today"),
        ("DA", "20060705\\20060706"),
        ("TM", "25h"),
        ("DT", "20200101120000+1500"),
    ],
)
def test_keys_that_are_no_date_time_or_range_are_refused(vr: str, text: str) -> None:
    with pytest.raises(MatchError):
        key(vr, text)


def test_empty_values_never_match_a_range_or_a_single_value() -> None:
    for condition in (key("DA", "-20060706"), key("DA", "-"), key("LO", "X"), key("TM", "10")):
        assert accepted(condition, [None, "", " ", MultiValue(str, [])]) == []


# --- Sequence Matching (C.2.2.2.6) ------------------------------------------------------


def _code(value: str, scheme: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    return item


def _sequence_key(*items: Dataset) -> Condition:
    identifier = Dataset()
    identifier.ProcedureCodeSequence = list(items)
    [condition] = conditions_of(identifier)
    return condition


def test_a_sequence_key_matches_when_one_item_matches_all_item_keys() -> None:
    condition = _sequence_key(_code("A1", "D*"))
    assert condition.kind is MatchKind.SEQUENCE
    assert [item.kind for item in condition.items] == [MatchKind.SINGLE, MatchKind.WILDCARD]
    assert matches(condition, [_code("B", "DCM"), _code("A1", "DCM")])
    assert not matches(condition, [_code("A1", "SRT"), _code("B", "DCM")])  # across items
    assert not matches(condition, [])
    assert not matches(condition, None)
    assert to_sql(condition, sa.column("v")) is None


def test_sequence_matching_is_recursive() -> None:
    inner = Dataset()
    inner.ProcedureCodeSequence = [_code("A1", "DCM")]
    identifier = Dataset()
    identifier.RequestAttributesSequence = [inner]
    [condition] = conditions_of(identifier)
    stored = Dataset()
    stored.ProcedureCodeSequence = [_code("X", "DCM"), _code("A1", "DCM")]
    assert matches(condition, [stored])
    stored.ProcedureCodeSequence = [_code("X", "DCM")]
    assert not matches(condition, [stored])


def test_sequence_keys_without_item_keys_to_match_are_universal() -> None:
    assert _sequence_key().kind is MatchKind.UNIVERSAL
    assert _sequence_key(Dataset()).kind is MatchKind.UNIVERSAL
    assert _sequence_key(_code("", "")).kind is MatchKind.UNIVERSAL


def test_a_sequence_key_of_several_items_is_refused() -> None:
    with pytest.raises(MatchError, match="2 Items"):
        _sequence_key(_code("A", "DCM"), _code("B", "DCM"))


# --- several values ---------------------------------------------------------------------


def test_a_stored_element_matches_when_any_of_its_values_does() -> None:
    modalities = MultiValue(str, ["CT", "PT"])  # C.2.2.3
    assert matches(key("CS", "PT"), modalities)
    assert not matches(key("CS", "MR"), modalities)
    assert matches(key("DA", "20200101-20200102"), MultiValue(str, ["20190101", "20200102"]))


def test_a_key_of_several_values_matches_any_of_them() -> None:
    condition = key("CS", "CT\\MR")
    assert (condition.kind, condition.values) == (MatchKind.SINGLE, ("CT", "MR"))
    assert accepted(condition, ["MR", "CT", "PT", MultiValue(str, ["PT", "CT"])]) == [
        "MR",
        "CT",
        MultiValue(str, ["PT", "CT"]),
    ]
    mixed = key("CS", "C?\\MR")
    assert (mixed.kind, mixed.values) == (MatchKind.WILDCARD, ("C?", "MR"))
    assert accepted(mixed, ["CT", "MR", "CTX", "M"]) == ["CT", "MR"]


# --- which elements are keys ------------------------------------------------------------


def test_elements_without_matching_meaning_are_no_conditions() -> None:
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.SpecificCharacterSet = "ISO_IR 100"
    identifier.RetrieveAETitle = "ARCHIVE"
    identifier.NumberOfStudyRelatedInstances = "3"
    identifier.TimezoneOffsetFromUTC = "+0100"
    identifier.add_new(0x00100000, "UL", 8)  # a group length
    identifier.add_new(0x00090010, "LO", "ACME")  # private creator: a key like any other
    identifier.PatientID = "P1"
    conditions = conditions_of(identifier)
    assert [(c.tag, c.keyword) for c in conditions] == [(0x00090010, ""), (0x00100020, "PatientID")]
    assert int(Tag("RetrieveAETitle")) in RETURN_ONLY_TAGS


# --- stored_form, stored_values, fold ---------------------------------------------------


@pytest.mark.parametrize(
    ("vr", "value", "expected"),
    [
        ("DA", "20200102", "20200102"),
        ("DA", "2020.01.02", "20200102"),
        ("DA", datetime.date(2020, 1, 2), "20200102"),
        ("TM", "10", "100000.000000"),
        ("TM", "1030", "103000.000000"),
        ("TM", "103000.5 ", "103000.500000"),
        ("TM", "10:30:00", "103000.000000"),
        ("TM", datetime.time(10, 30, 0, 5), "103000.000005"),
        ("DT", "2020", "20200101000000.000000"),
        ("DT", "20200101003000.25+0100", "20191231233000.250000"),
        ("DT", "20200101-0500", "20200101050000.000000"),
        ("DT", "junk", "junk"),
        ("PN", PersonName("Doe^John^^=^"), "Doe^John"),
        ("PN", "Doe^John", "Doe^John"),
        ("IS", "0012 ", "12"),
        ("DS", "1.50", "1.5"),
        ("DS", "15", "15.0"),
        ("US", 512, "512"),
        ("AT", BaseTag(0x00100010), "00100010"),
        ("OB", b"\x01\xab", "01AB"),
        ("UI", "1.2.3\x00", "1.2.3"),
        ("CS", MultiValue(str, ["CT", "", "PT"]), "CT\\PT"),
        ("LO", "  padded  ", "padded"),
        ("ST", "  indented  ", "  indented"),
        ("LO", "   ", None),
        ("LO", None, None),
        ("SQ", [Dataset()], None),
    ],
)
def test_stored_form(vr: str, value: object, expected: str | None) -> None:
    assert stored_form(vr, value) == expected


def test_stored_values_lists_each_value() -> None:
    assert stored_values("DA", MultiValue(str, ["20200101", "", "2020.01.02"])) == (
        "20200101",
        "20200102",
    )
    assert stored_values("LO", "") == ()


def test_fold_is_casefold() -> None:
    assert fold("Müller^STRASSE") == fold("MÜLLER^Straße") == "müller^strasse"


# --- SQL against Python -----------------------------------------------------------------


class _Table:
    """A table of stored values in a database; each select runs in a transaction that is
    rolled back."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.table = sa.Table(
            f"stored_{uuid.uuid4().hex}",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("value", sa.Text),
        )
        self.table.create(connection)
        connection.commit()

    def select(self, condition: Condition, values: list[Any]) -> list[int]:
        """The indices of the values whose stored form the condition's SQL selects."""
        folded = condition.vr == "PN"
        rows = []
        for index, value in enumerate(values):
            text = stored_form(condition.vr, value)
            rows.append({"id": index, "value": fold(text) if folded and text else text})
        test = to_sql(condition, self.table.c.value, folded=folded)
        query = sa.select(self.table.c.id).order_by(self.table.c.id)
        try:
            if rows:
                self.connection.execute(self.table.insert(), rows)
            found = self.connection.scalars(query if test is None else query.where(test))
            return list(found)
        finally:
            self.connection.rollback()

    def drop(self) -> None:
        self.table.drop(self.connection)
        self.connection.commit()


def _case_sensitive_like(dbapi_connection: Any, _record: Any) -> None:
    # as the archive's index does: SQLite's LIKE ignores ASCII case otherwise
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA case_sensitive_like = ON")
    cursor.close()


@pytest.fixture(scope="module")
def sqlite() -> Iterator[_Table]:
    engine = sa.create_engine("sqlite://")
    sa.event.listen(engine, "connect", _case_sensitive_like)
    with engine.connect() as connection:
        yield _Table(connection)
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, sqlite: _Table) -> Iterator[_Table]:
    if request.param == "sqlite":
        yield sqlite
        return
    try:
        url = request.getfixturevalue("postgres_url")
    except pytest.FixtureLookupError:
        pytest.skip("no postgres_url fixture (tests/postgres_server.py) in this tree")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        table = _Table(connection)
        yield table
        table.drop()
    engine.dispose()


# Characters that LIKE, the escape character, PN and case folding treat specially
_TEXT = "aAbß%_!^* é"
_UIDS = ["1.2", "1.2.3", "1.20", "1.2.3.4"]


def _texts(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet, max_size=5)


def _dates() -> st.SearchStrategy[datetime.date]:
    return st.dates(datetime.date(2019, 12, 30), datetime.date(2020, 3, 2))


def _times() -> st.SearchStrategy[str]:
    precision = st.sampled_from([2, 4, 6, 8, 13])
    moment = st.times()
    return st.builds(lambda t, n: f"{t:%H%M%S.%f}"[:n].rstrip("."), moment, precision)


def _datetimes() -> st.SearchStrategy[str]:
    offset = st.sampled_from(["", "+0100", "-0500", "+1400"])
    precision = st.sampled_from([4, 6, 8, 10, 14, 21])
    return st.builds(
        lambda d, t, n, z: f"{d:%Y%m%d}{t:%H%M%S.%f}"[:n] + z,
        _dates(),
        st.times(),
        precision,
        offset,
    )


def _ranges(bound: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    single = bound
    ranged = st.builds(
        lambda a, b: f"{a}-{b}", st.one_of(st.just(""), bound), st.one_of(st.just(""), bound)
    )
    return st.one_of(single, ranged)


def _joined(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(values, min_size=1, max_size=3).map("\\".join)


_DA = _dates().map(lambda d: f"{d:%Y%m%d}")
_CASES: dict[str, tuple[st.SearchStrategy[str], st.SearchStrategy[Any]]] = {
    # vr: (keys, stored values)
    "LO": (_joined(_texts(_TEXT + "?")), _texts(_TEXT)),
    "PN": (_joined(_texts(_TEXT + "?=")), _texts(_TEXT + "=")),
    "CS": (_joined(_texts("AB_ ?*")), _texts("AB_ ")),
    "ST": (_texts(_TEXT + "?\\"), _texts(_TEXT + "\\")),
    "UI": (_joined(st.sampled_from([*_UIDS, ""])), st.sampled_from(_UIDS)),
    "IS": (_joined(st.sampled_from(["1", "01", "-1", "+2", "2"])), st.integers(-2, 2)),
    "DA": (_ranges(st.one_of(_DA, _DA.map(lambda d: d[:6]))), _DA),
    "TM": (_ranges(_times()), _times()),
    "DT": (_ranges(_datetimes()), _datetimes()),
}


def _near(draw: st.DrawFn, vr: str, value: str, other: str) -> str:
    """A key made from stored values, so that some of them match it."""
    if vr in ("DA", "TM", "DT"):
        return draw(st.sampled_from([f"{value}-{other}", f"{value}-", f"-{value}", value]))
    if vr == "UI":
        return draw(st.sampled_from([value, f"{value}\\{other}"]))
    if vr == "IS":
        return value
    return "".join(draw(st.sampled_from([c, c, c, "?", "*", c.swapcase()])) for c in value)


@st.composite
def _keys_and_values(draw: st.DrawFn) -> tuple[Condition, list[Any]]:
    vr = draw(st.sampled_from(sorted(_CASES)))
    keys, stored = _CASES[vr]
    values = draw(st.lists(st.one_of(st.sampled_from([None, ""]), stored, stored), max_size=10))
    texts = [str(value) for value in values if value not in (None, "")]
    choice = draw(st.integers(0, 9))
    if choice == 0:
        text = draw(st.sampled_from(['""', "", "*"]))
    elif choice < 5 or not texts:
        text = draw(keys)
    else:
        text = _near(draw, vr, draw(st.sampled_from(texts)), draw(st.sampled_from(texts)))
    try:
        return key(vr, text), values
    except MatchError:
        reject()


@settings(max_examples=150, deadline=None)
@given(case=_keys_and_values())
def test_sql_selects_what_python_matches(
    database: _Table, case: tuple[Condition, list[Any]]
) -> None:
    condition, values = case
    expected = [index for index, value in enumerate(values) if matches(condition, value)]
    assert database.select(condition, values) == expected
