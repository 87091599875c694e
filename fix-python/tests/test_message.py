"""FixMessage: fields by tag and name, typed values, groups, text forms."""

import datetime
import decimal

import pytest

import fixrs as v12


def test_fields_by_tag_and_name_with_typed_values():
    m = v12.FixMessage("D")
    m.set(11, "ORD-1").set("Symbol", "EUR/USD").set(54, 1).set("OrderQty", 1_000_000)
    m.set(44, decimal.Decimal("1.08345")).set("StopPx", 1.5).set(59, "0")
    m.set(60, datetime.datetime(2024, 1, 2, 3, 4, 5, 678000))
    m.set("LocateReqd", True).set("MaturityDate", datetime.date(2025, 6, 30))
    assert m.get(11) == "ORD-1"
    assert m.get("ClOrdID") == "ORD-1"
    assert m["Symbol"] == "EUR/USD"
    assert m.get_int(54) == 1
    assert m.get_int("OrderQty") == 1_000_000
    assert m.get_decimal(44) == decimal.Decimal("1.08345")
    assert m.get_float("StopPx") == 1.5
    assert m.get("LocateReqd") == "Y" and m.get_bool("LocateReqd") is True
    assert m.get_datetime(60) == datetime.datetime(
        2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc
    )
    assert m.get(60) == "20240102-03:04:05.678"
    assert m.get("MaturityDate") == "20250630"
    assert m.get_date("MaturityDate") == datetime.date(2025, 6, 30)
    assert m.get(58) is None and m.get(58, "none") == "none"
    assert m.type == "D" and m.type_name == "NewOrderSingle"
    assert m.version == v12.FIXVersion.FIX44
    assert m.is_tag_exists(11) and "Symbol" in m and 58 not in m
    m.set(11, "ORD-2")
    assert m.get(11) == "ORD-2" and m.fields().count((11, "ORD-2")) == 1
    assert m.remove(11) and not m.has(11)


def test_aware_datetimes_are_sent_in_utc_and_decimals_without_exponent():
    m = v12.FixMessage("D")
    paris = datetime.timezone(datetime.timedelta(hours=2))
    m.set(60, datetime.datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=paris))
    assert m.get(60) == "20240601-10:00:00.123456"
    m.set(44, decimal.Decimal("1E+2"))
    assert m.get(44) == "100"
    with pytest.raises(ValueError):
        m.set(44, float("nan"))
    with pytest.raises(TypeError):
        m.set(44, object())
    with pytest.raises(KeyError):
        m.set("NoSuchField", "x")
    m.set(44, "abc")
    with pytest.raises(ValueError):
        m.get_decimal(44)


def test_repeating_groups_build_read_and_change_in_place():
    m = v12.FixMessage("D").set(11, "ORD-1")
    parties = m.add_group("NoPartyIDs")
    for party_id, role in (("BROKER", 1), ("CLIENT", 3)):
        parties.add_entry().set("PartyID", party_id).set(447, "D").set("PartyRole", role)
    m.set(55, "EUR/USD")
    text = m.to_string("|")
    assert "|453=2|448=BROKER|447=D|452=1|448=CLIENT|447=D|452=3|55=EUR/USD|" in text
    back = v12.FixMessage.from_string(text)
    group = back.get_group(453)
    assert len(group) == 2 and group.size() == 2 and group.count_tag == 453
    assert [e.get(448) for e in group] == ["BROKER", "CLIENT"]
    assert group[-1].get_int("PartyRole") == 3
    assert back.get(448) is None  # entry fields are not top-level fields
    group[0].set(448, "DESK")
    group.remove_entry(1)
    assert "|453=1|448=DESK|447=D|452=1|55=EUR/USD|" in back.to_string("|")
    with pytest.raises(IndexError):
        group.get_entry(5)


def test_nested_groups_from_the_dictionary():
    text = ("8=FIX.4.4|35=D|11=A|453=1|448=B|447=D|452=1|802=2|523=S1|803=1|523=S2|803=2|"
            "55=X|")
    m = v12.FixMessage.from_string(text)
    sub = m.get_group(453)[0].get_group("NoPartySubIDs")
    assert [e.get(523) for e in sub] == ["S1", "S2"]


def test_text_forms_check_length_and_checksum():
    m = v12.FixMessage("0")
    wire = m.to_string()
    assert wire.startswith("8=FIX.4.4\x019=5\x0135=0\x01") and wire.endswith("10=163\x01")
    assert m.to_bytes() == wire.encode()
    assert v12.FixMessage.from_string(wire) == m
    assert v12.FixMessage.from_string(wire.replace("\x01", "|")) == m
    assert v12.FixMessage.from_string(wire.encode()) == m
    with pytest.raises(ValueError, match="CheckSum"):
        v12.FixMessage.from_string(wire.replace("10=163", "10=164"))
    with pytest.raises(ValueError, match="BodyLength"):
        v12.FixMessage.from_string(wire.replace("9=5", "9=6"))
    with pytest.raises(ValueError):
        v12.FixMessage.from_string("35=D|11")
    partial = v12.FixMessage.from_string("35=D|11=X|55=Y")
    assert partial.get(55) == "Y" and partial.version == v12.FIXVersion.FIX44


def test_versions_and_names():
    assert v12.tag_of("ClOrdID") == 11
    assert v12.field_name(11) == "ClOrdID"
    assert v12.field_name(1128, v12.FIXVersion.FIX50SP2) == "ApplVerID"
    assert v12.field_name(999999) is None
    assert str(v12.FIXVersion.FIX50SP2) == "FIX.5.0SP2"
    assert v12.FIXVersion.FIX50SP2.begin_string == "FIXT.1.1"
    m = v12.FixMessage("8", v12.FIXVersion.FIX50SP2)
    assert m.to_string("|").startswith("8=FIXT.1.1|")
    assert v12.FixMessage("D", "FIX.4.2").version == v12.FIXVersion.FIX42
    fixt = v12.FixMessage.from_string("8=FIXT.1.1|35=D|1128=8|11=X|")
    assert fixt.version == v12.FIXVersion.FIX50SP1
    with pytest.raises(ValueError):
        v12.FixMessage("")
    copy = m.copy()
    copy.set(11, "Z")
    assert m.get(11) is None and copy.get(11) == "Z"


def test_session_ids_and_states():
    a = v12.SessionId("TEST1", "TEST2")
    assert (a.sender, a.target, a.qualifier) == ("TEST1", "TEST2", None)
    assert a == v12.SessionId("TEST1", "TEST2") and hash(a) == hash(v12.SessionId("TEST1", "TEST2"))
    assert a != v12.SessionId("TEST1", "TEST2", "q") and str(a) == "TEST1-TEST2"
    with pytest.raises(ValueError):
        v12.SessionId("", "X")
    assert str(v12.SessionState.ESTABLISHED) == "Established"
    assert v12.SessionState.CORRECTLY_TERMINATED.is_terminated
