//! Python values to FIX field values and back: str, bytes, int, bool,
//! float, `decimal.Decimal`, `datetime.datetime` (UTCTimestamp),
//! `datetime.date` (UTCDateOnly) and `datetime.time` (UTCTimeOnly).

use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::value::{TimeOfDay, TimePrecision, UtcTimestamp};
use fixrs_proto::Tag;
use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString, PyType};

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME.import(py, "datetime", "datetime")
}

fn date_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATE.import(py, "datetime", "date")
}

fn time_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    TIME.import(py, "datetime", "time")
}

fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    UTC.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind(),
        )
    })
    .map(|u| u.bind(py))
}

/// A tag given as a number or as a field name of `dict`.
pub fn tag_of(tag: &Bound<'_, PyAny>, dict: &Dictionary) -> PyResult<Tag> {
    if let Ok(n) = tag.cast::<PyInt>() {
        let n: i64 = n.extract()?;
        return u32::try_from(n)
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| PyValueError::new_err(format!("tag {n} is not a positive tag number")));
    }
    if let Ok(name) = tag.cast::<PyString>() {
        let name = name.to_cow()?;
        return match dict.field_by_name(&name) {
            Some(f) => Ok(f.tag()),
            None => match name.parse::<u32>() {
                Ok(t) if t > 0 => Ok(t),
                _ => Err(PyKeyError::new_err(format!(
                    "no field named {name:?} in the {} dictionary",
                    dict.name()
                ))),
            },
        };
    }
    Err(PyTypeError::new_err(format!(
        "a tag is an int or a field name, not {}",
        tag.get_type().name()?
    )))
}

/// Calls `f` with the FIX text of a Python value (as [`to_fix`] writes
/// it); a `str` or an `int` is not copied into a buffer first.
pub fn with_fix<R>(value: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(s) = value.cast_exact::<PyString>() {
        return Ok(f(s.to_cow()?.as_bytes()));
    }
    // Exactly int: bool, a subclass, is written Y/N.
    if let Ok(i) = value.cast_exact::<PyInt>() {
        if let Ok(n) = i.extract::<i64>() {
            let mut digits = [0u8; 20];
            return Ok(f(write_i64(n, &mut digits)));
        }
    }
    let mut text = Vec::with_capacity(16);
    to_fix(value, &mut text)?;
    Ok(f(&text))
}

/// The decimal digits of `n` (with its sign) at the end of `buf`.
pub(crate) fn write_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// The FIX text of a Python value.
pub fn to_fix(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    let py = value.py();
    if let Ok(s) = value.cast::<PyString>() {
        out.extend_from_slice(s.to_cow()?.as_bytes());
    } else if let Ok(b) = value.cast::<PyBool>() {
        out.push(if b.is_true() { b'Y' } else { b'N' });
    } else if let Ok(i) = value.cast::<PyInt>() {
        match i.extract::<i64>() {
            Ok(n) => out.extend_from_slice(n.to_string().as_bytes()),
            // Larger than 64 bits: Python's own digits.
            Err(_) => out.extend_from_slice(i.str()?.to_cow()?.as_bytes()),
        }
    } else if let Ok(f) = value.cast::<PyFloat>() {
        let f = f.value();
        if !f.is_finite() {
            return Err(PyValueError::new_err(format!(
                "{f} cannot be sent as a FIX float"
            )));
        }
        // Rust's shortest round-trip form, never with an exponent.
        out.extend_from_slice(f.to_string().as_bytes());
    } else if let Ok(b) = value.cast::<PyBytes>() {
        out.extend_from_slice(b.as_bytes());
    } else if let Ok(b) = value.cast::<PyByteArray>() {
        out.extend_from_slice(&b.to_vec());
    } else if value.is_instance(decimal_type(py)?)? {
        if !value.call_method0("is_finite")?.is_truthy()? {
            return Err(PyValueError::new_err(format!(
                "{} cannot be sent as a FIX decimal",
                value.str()?
            )));
        }
        // 'f' never uses an exponent: Decimal('1E+2') is sent as 100.
        let text = value.call_method1("__format__", ("f",))?;
        out.extend_from_slice(text.cast::<PyString>()?.to_cow()?.as_bytes());
    } else if value.is_instance(datetime_type(py)?)? {
        let t = utc_timestamp(value)?;
        let precision = if t.subsec_nanos() % 1_000_000 == 0 {
            TimePrecision::Millis
        } else {
            TimePrecision::Micros
        };
        t.write(precision, out);
    } else if value.is_instance(date_type(py)?)? {
        let (y, m, d): (i32, u32, u32) = (
            value.getattr("year")?.extract()?,
            value.getattr("month")?.extract()?,
            value.getattr("day")?.extract()?,
        );
        out.extend_from_slice(format!("{y:04}{m:02}{d:02}").as_bytes());
    } else if value.is_instance(time_type(py)?)? {
        let (h, m, s, us): (u32, u32, u32, u32) = (
            value.getattr("hour")?.extract()?,
            value.getattr("minute")?.extract()?,
            value.getattr("second")?.extract()?,
            value.getattr("microsecond")?.extract()?,
        );
        if us % 1000 == 0 {
            out.extend_from_slice(format!("{h:02}:{m:02}:{s:02}.{:03}", us / 1000).as_bytes());
        } else {
            out.extend_from_slice(format!("{h:02}:{m:02}:{s:02}.{us:06}").as_bytes());
        }
    } else {
        return Err(PyTypeError::new_err(format!(
            "a FIX field value is str, bytes, int, bool, float, Decimal, datetime, date or time, not {}",
            value.get_type().name()?
        )));
    }
    Ok(())
}

/// A `datetime.datetime` as a UTC timestamp (naive ones are taken as UTC).
fn utc_timestamp(value: &Bound<'_, PyAny>) -> PyResult<UtcTimestamp> {
    let py = value.py();
    let value = if value.getattr("tzinfo")?.is_none() {
        value.clone()
    } else {
        value.call_method1("astimezone", (utc(py)?,))?
    };
    let get = |name: &str| -> PyResult<u32> { value.getattr(name)?.extract() };
    let year: i32 = value.getattr("year")?.extract()?;
    UtcTimestamp::from_ymd_hms_nanos(
        year,
        get("month")?,
        get("day")?,
        get("hour")?,
        get("minute")?,
        get("second")?,
        get("microsecond")? * 1000,
    )
    .ok_or_else(|| PyValueError::new_err("datetime out of the range of FIX timestamps"))
}

fn bad(tag: Tag, value: &[u8], what: &str) -> PyErr {
    PyValueError::new_err(format!(
        "field {tag} = {:?} is not {what}",
        String::from_utf8_lossy(value)
    ))
}

/// A value as an int.
pub fn to_int<'py>(py: Python<'py>, tag: Tag, value: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let s = std::str::from_utf8(value).map_err(|_| bad(tag, value, "an integer"))?;
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n.into_pyobject(py)?.into_any());
    }
    let valid = !s.is_empty()
        && s.trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
        && s.trim_start_matches('-').len() == s.len() - usize::from(s.starts_with('-'));
    if !valid {
        return Err(bad(tag, value, "an integer"));
    }
    py.get_type::<PyInt>().call1((s,))
}

/// A value as a float.
pub fn to_float(tag: Tag, value: &[u8]) -> PyResult<f64> {
    std::str::from_utf8(value)
        .ok()
        .filter(|s| is_fix_decimal(s))
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| bad(tag, value, "a number"))
}

/// A value as a `decimal.Decimal`, exactly as written.
pub fn to_decimal<'py>(py: Python<'py>, tag: Tag, value: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let s = std::str::from_utf8(value)
        .ok()
        .filter(|s| is_fix_decimal(s))
        .ok_or_else(|| bad(tag, value, "a decimal number"))?;
    decimal_type(py)?.call1((s,))
}

/// FIX's float: optional sign, digits, optional point and digits.
fn is_fix_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut seen_digit = false;
    let mut seen_point = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_point => seen_point = true,
            _ => return false,
        }
    }
    seen_digit
}

/// A value as a bool (`Y` / `N`).
pub fn to_bool(tag: Tag, value: &[u8]) -> PyResult<bool> {
    match value {
        b"Y" => Ok(true),
        b"N" => Ok(false),
        _ => Err(bad(tag, value, "a FIX Boolean (Y or N)")),
    }
}

/// A UTCTimestamp as an aware `datetime.datetime` in UTC (precision
/// beyond microseconds is cut).
pub fn to_datetime<'py>(py: Python<'py>, tag: Tag, value: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let t = UtcTimestamp::parse(value).map_err(|_| bad(tag, value, "a UTCTimestamp"))?;
    let (y, m, d) = t.date();
    let secs = t.seconds_of_day();
    datetime_type(py)?.call1((
        y,
        m,
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        t.subsec_nanos() / 1000,
        utc(py)?,
    ))
}

/// A UTCDateOnly / LocalMktDate (`YYYYMMDD`) as a `datetime.date`.
pub fn to_date<'py>(py: Python<'py>, tag: Tag, value: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let date = fixrs_proto::value::Date::parse(value).map_err(|_| bad(tag, value, "a date"))?;
    let days = date.days_since_epoch();
    let (y, m, d) = UtcTimestamp::from_unix(days * 86_400, 0).date();
    date_type(py)?.call1((y, m, d))
}

/// A UTCTimeOnly as a `datetime.time`.
pub fn to_time<'py>(py: Python<'py>, tag: Tag, value: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let t = TimeOfDay::parse(value).map_err(|_| bad(tag, value, "a time of day"))?;
    let secs = t.seconds_of_day();
    time_type(py)?.call1((secs / 3600, secs / 60 % 60, secs % 60, t.nanos() / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_as_rust_formats_them() {
        let mut buf = [0u8; 20];
        for n in [0, 7, -7, 10, 999, -1000, 1_000_000_001, i64::MAX, i64::MIN] {
            assert_eq!(write_i64(n, &mut buf), n.to_string().as_bytes());
        }
    }
}
