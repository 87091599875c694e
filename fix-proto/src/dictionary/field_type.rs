//! FIX data types as named in QuickFIX dictionaries (`type='PRICE'`).

use std::fmt;

/// The data type of a field, as the `type` attribute of a dictionary's
/// `<field>` names it. Validation checks values against it
/// (SessionRejectReason 6, incorrect data format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// `INT`: a signed integer.
    Int,
    /// `LENGTH`: the byte length of a data field; non-negative integer.
    Length,
    /// `NUMINGROUP`: the number of entries of a repeating group.
    NumInGroup,
    /// `SEQNUM`: a message sequence number; non-negative integer.
    SeqNum,
    /// `TAGNUM`: a field tag number; positive integer.
    TagNum,
    /// `DAYOFMONTH`: 1 to 31.
    DayOfMonth,
    /// `FLOAT`: a decimal number.
    Float,
    /// `QTY`: a quantity (decimal).
    Qty,
    /// `PRICE`: a price (decimal).
    Price,
    /// `PRICEOFFSET`: a price offset (decimal).
    PriceOffset,
    /// `AMT`: an amount (decimal).
    Amt,
    /// `PERCENTAGE`: a percentage (decimal).
    Percentage,
    /// `CHAR`: a single character.
    Char,
    /// `BOOLEAN`: `Y` or `N`.
    Boolean,
    /// `STRING`: free text.
    String,
    /// `MULTIPLECHARVALUE`: space-separated single characters.
    MultipleCharValue,
    /// `MULTIPLESTRINGVALUE`: space-separated strings.
    MultipleStringValue,
    /// `MULTIPLEVALUESTRING`: space-separated strings (FIX 4.2 to 4.4).
    MultipleValueString,
    /// `COUNTRY`: ISO 3166 country code.
    Country,
    /// `CURRENCY`: ISO 4217 currency code.
    Currency,
    /// `EXCHANGE`: ISO 10383 market identifier code.
    Exchange,
    /// `LANGUAGE`: ISO 639-1 language code.
    Language,
    /// `MONTHYEAR`: `YYYYMM`, `YYYYMMDD` or `YYYYMMwN`.
    MonthYear,
    /// `UTCTIMESTAMP`: `YYYYMMDD-HH:MM:SS[.sss]`.
    UtcTimestamp,
    /// `UTCTIMEONLY`: `HH:MM:SS[.sss]`.
    UtcTimeOnly,
    /// `UTCDATEONLY`: `YYYYMMDD`.
    UtcDateOnly,
    /// `UTCDATE`: `YYYYMMDD` (FIX 4.2 and 4.3 name of UTCDATEONLY).
    UtcDate,
    /// `LOCALMKTDATE`: `YYYYMMDD` in the market's local time.
    LocalMktDate,
    /// `LOCALMKTTIME`: `HH:MM:SS[.sss]` in the market's local time.
    LocalMktTime,
    /// `TZTIMEONLY`: `HH:MM[:SS[.sss]]` with a UTC offset (`Z`, `+hh[:mm]`).
    TzTimeOnly,
    /// `TZTIMESTAMP`: `YYYYMMDD-HH:MM[:SS[.sss]]` with a UTC offset.
    TzTimestamp,
    /// `DATE`: `YYYYMMDD` (FIX 4.0 and 4.1).
    Date,
    /// `TIME`: `YYYYMMDD-HH:MM:SS` in UTC (FIX 4.0 and 4.1).
    Time,
    /// `DATA`: raw bytes, may contain SOH, sized by a preceding LENGTH field.
    Data,
    /// `XMLDATA`: an XML document (data).
    XmlData,
    /// `XID`: an identifier referenced by XIDREF fields.
    Xid,
    /// `XIDREF`: a reference to an XID.
    XidRef,
    /// `PATTERN`: a pattern (string).
    Pattern,
    /// `TENOR`: a tenor such as `M3` or `D1`.
    Tenor,
    /// `RESERVED100PLUS`: an integer; values of 100 and more are reserved.
    Reserved100Plus,
    /// `RESERVED1000PLUS`: an integer; values of 1000 and more are reserved.
    Reserved1000Plus,
    /// `RESERVED4000PLUS`: an integer; values of 4000 and more are reserved.
    Reserved4000Plus,
}

impl FieldType {
    /// Every type, in declaration order.
    pub const ALL: [FieldType; 42] = [
        FieldType::Int,
        FieldType::Length,
        FieldType::NumInGroup,
        FieldType::SeqNum,
        FieldType::TagNum,
        FieldType::DayOfMonth,
        FieldType::Float,
        FieldType::Qty,
        FieldType::Price,
        FieldType::PriceOffset,
        FieldType::Amt,
        FieldType::Percentage,
        FieldType::Char,
        FieldType::Boolean,
        FieldType::String,
        FieldType::MultipleCharValue,
        FieldType::MultipleStringValue,
        FieldType::MultipleValueString,
        FieldType::Country,
        FieldType::Currency,
        FieldType::Exchange,
        FieldType::Language,
        FieldType::MonthYear,
        FieldType::UtcTimestamp,
        FieldType::UtcTimeOnly,
        FieldType::UtcDateOnly,
        FieldType::UtcDate,
        FieldType::LocalMktDate,
        FieldType::LocalMktTime,
        FieldType::TzTimeOnly,
        FieldType::TzTimestamp,
        FieldType::Date,
        FieldType::Time,
        FieldType::Data,
        FieldType::XmlData,
        FieldType::Xid,
        FieldType::XidRef,
        FieldType::Pattern,
        FieldType::Tenor,
        FieldType::Reserved100Plus,
        FieldType::Reserved1000Plus,
        FieldType::Reserved4000Plus,
    ];

    /// The name used in dictionaries (`"PRICE"`).
    pub const fn name(self) -> &'static str {
        match self {
            FieldType::Int => "INT",
            FieldType::Length => "LENGTH",
            FieldType::NumInGroup => "NUMINGROUP",
            FieldType::SeqNum => "SEQNUM",
            FieldType::TagNum => "TAGNUM",
            FieldType::DayOfMonth => "DAYOFMONTH",
            FieldType::Float => "FLOAT",
            FieldType::Qty => "QTY",
            FieldType::Price => "PRICE",
            FieldType::PriceOffset => "PRICEOFFSET",
            FieldType::Amt => "AMT",
            FieldType::Percentage => "PERCENTAGE",
            FieldType::Char => "CHAR",
            FieldType::Boolean => "BOOLEAN",
            FieldType::String => "STRING",
            FieldType::MultipleCharValue => "MULTIPLECHARVALUE",
            FieldType::MultipleStringValue => "MULTIPLESTRINGVALUE",
            FieldType::MultipleValueString => "MULTIPLEVALUESTRING",
            FieldType::Country => "COUNTRY",
            FieldType::Currency => "CURRENCY",
            FieldType::Exchange => "EXCHANGE",
            FieldType::Language => "LANGUAGE",
            FieldType::MonthYear => "MONTHYEAR",
            FieldType::UtcTimestamp => "UTCTIMESTAMP",
            FieldType::UtcTimeOnly => "UTCTIMEONLY",
            FieldType::UtcDateOnly => "UTCDATEONLY",
            FieldType::UtcDate => "UTCDATE",
            FieldType::LocalMktDate => "LOCALMKTDATE",
            FieldType::LocalMktTime => "LOCALMKTTIME",
            FieldType::TzTimeOnly => "TZTIMEONLY",
            FieldType::TzTimestamp => "TZTIMESTAMP",
            FieldType::Date => "DATE",
            FieldType::Time => "TIME",
            FieldType::Data => "DATA",
            FieldType::XmlData => "XMLDATA",
            FieldType::Xid => "XID",
            FieldType::XidRef => "XIDREF",
            FieldType::Pattern => "PATTERN",
            FieldType::Tenor => "TENOR",
            FieldType::Reserved100Plus => "RESERVED100PLUS",
            FieldType::Reserved1000Plus => "RESERVED1000PLUS",
            FieldType::Reserved4000Plus => "RESERVED4000PLUS",
        }
    }

    /// The type a dictionary names, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<FieldType> {
        FieldType::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// Whether values of this type are space-separated lists whose every
    /// element is checked against the field's enumeration.
    pub const fn is_multiple_value(self) -> bool {
        matches!(
            self,
            FieldType::MultipleCharValue
                | FieldType::MultipleStringValue
                | FieldType::MultipleValueString
        )
    }

    /// Whether any non-empty value is in this type's format (free text,
    /// codes and data).
    pub const fn is_free_form(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::MultipleStringValue
                | FieldType::MultipleValueString
                | FieldType::Country
                | FieldType::Currency
                | FieldType::Exchange
                | FieldType::Language
                | FieldType::Data
                | FieldType::XmlData
                | FieldType::Xid
                | FieldType::XidRef
                | FieldType::Pattern
                | FieldType::Tenor
        )
    }

    /// Whether values of this type are raw data that may contain SOH.
    pub const fn is_data(self) -> bool {
        matches!(self, FieldType::Data | FieldType::XmlData)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in FieldType::ALL {
            assert_eq!(FieldType::from_name(t.name()), Some(t));
        }
        assert_eq!(FieldType::from_name("price"), Some(FieldType::Price));
        assert_eq!(FieldType::from_name("PRICES"), None);
    }
}
