//! `FixMessage`, its repeating groups (`Group`, `GroupEntry`) and
//! `FIXVersion`.

use crate::fields::{self, lock, FieldList, SharedFields, SharedGroup};
use crate::values;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, FixVersion, Tag};
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use std::sync::{Arc, Mutex};

/// FIX protocol versions, as FIX Antenna names them.
///
/// FIX 5.0 and later run over FIXT.1.1: ``FIX50``, ``FIX50SP1`` and
/// ``FIX50SP2`` name the application version of such a session, and
/// ``FIXT11`` the session layer (its application version then comes from
/// the ``app_protocol`` argument of ``create_session``).
#[pyclass(
    name = "FIXVersion",
    module = "fixrs",
    eq,
    eq_int,
    hash,
    frozen,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum PyFixVersion {
    /// FIX.4.0
    FIX40,
    /// FIX.4.1
    FIX41,
    /// FIX.4.2
    FIX42,
    /// FIX.4.3
    FIX43,
    /// FIX.4.4
    FIX44,
    /// FIX 5.0 over FIXT.1.1
    FIX50,
    /// FIX 5.0 SP1 over FIXT.1.1
    FIX50SP1,
    /// FIX 5.0 SP2 over FIXT.1.1
    FIX50SP2,
    /// FIXT.1.1, the session layer of FIX 5.0 and later
    FIXT11,
}

impl PyFixVersion {
    /// The engine's version; FIXT.1.1 alone is taken as FIX 5.0 SP2.
    pub fn version(self) -> FixVersion {
        match self {
            PyFixVersion::FIX40 => FixVersion::Fix40,
            PyFixVersion::FIX41 => FixVersion::Fix41,
            PyFixVersion::FIX42 => FixVersion::Fix42,
            PyFixVersion::FIX43 => FixVersion::Fix43,
            PyFixVersion::FIX44 => FixVersion::Fix44,
            PyFixVersion::FIX50 => FixVersion::Fix50,
            PyFixVersion::FIX50SP1 => FixVersion::Fix50Sp1,
            PyFixVersion::FIX50SP2 | PyFixVersion::FIXT11 => FixVersion::Fix50Sp2,
        }
    }

    /// The Python value of an engine version.
    pub fn of(version: FixVersion) -> PyFixVersion {
        match version {
            FixVersion::Fix40 => PyFixVersion::FIX40,
            FixVersion::Fix41 => PyFixVersion::FIX41,
            FixVersion::Fix42 => PyFixVersion::FIX42,
            FixVersion::Fix43 => PyFixVersion::FIX43,
            FixVersion::Fix44 => PyFixVersion::FIX44,
            FixVersion::Fix50 => PyFixVersion::FIX50,
            FixVersion::Fix50Sp1 => PyFixVersion::FIX50SP1,
            FixVersion::Fix50Sp2 => PyFixVersion::FIX50SP2,
        }
    }

    /// The version's name (`FIX.4.4`, `FIX.5.0SP2`, `FIXT.1.1`).
    pub fn name(self) -> &'static str {
        match self {
            PyFixVersion::FIXT11 => "FIXT.1.1",
            v => v.version().name(),
        }
    }

    /// Reads a version name: FIX Antenna's (`FIX44`, `FIX50SP2`, `FIXT11`)
    /// or QuickFIX's (`FIX.4.4`, `FIX.5.0SP2`, `FIXT.1.1`).
    pub fn parse(name: &str) -> Option<PyFixVersion> {
        let squeezed: String = name
            .trim()
            .chars()
            .filter(|c| *c != '.' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        Some(match squeezed.as_str() {
            "FIX40" => PyFixVersion::FIX40,
            "FIX41" => PyFixVersion::FIX41,
            "FIX42" => PyFixVersion::FIX42,
            "FIX43" => PyFixVersion::FIX43,
            "FIX44" => PyFixVersion::FIX44,
            "FIX50" => PyFixVersion::FIX50,
            "FIX50SP1" => PyFixVersion::FIX50SP1,
            "FIX50SP2" => PyFixVersion::FIX50SP2,
            "FIXT11" => PyFixVersion::FIXT11,
            _ => return None,
        })
    }
}

#[pymethods]
impl PyFixVersion {
    /// BeginString(8) of this version (``"FIXT.1.1"`` for FIX 5.0 and later).
    #[getter]
    fn begin_string(&self) -> &'static str {
        match self {
            PyFixVersion::FIXT11 => "FIXT.1.1",
            v => v.version().begin_string(),
        }
    }

    fn __str__(&self) -> &'static str {
        self.name()
    }
}

/// Accepts a `FIXVersion` or a version name.
pub fn version_arg(value: &Bound<'_, PyAny>) -> PyResult<PyFixVersion> {
    if let Ok(v) = value.extract::<PyFixVersion>() {
        return Ok(v);
    }
    if let Ok(s) = value.cast::<PyString>() {
        let s = s.to_cow()?;
        return PyFixVersion::parse(&s)
            .ok_or_else(|| PyValueError::new_err(format!("unknown FIX version {s:?}")));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(
        "a FIX version is a FIXVersion or a name such as 'FIX.4.4'",
    ))
}

/// The built-in dictionary of a version.
pub fn dictionary(version: FixVersion) -> &'static Dictionary {
    Dictionary::builtin(version)
}

/// A FIX message: build it field by field, or read one received.
///
/// ``FixMessage("D")`` is an empty NewOrderSingle of FIX 4.4;
/// ``FixMessage("D", FIXVersion.FIX50SP2)`` one of FIX 5.0 SP2. Tags are
/// numbers or field names of the message's version (``"ClOrdID"``).
/// Values may be ``str``, ``bytes``, ``int``, ``bool`` (``Y``/``N``),
/// ``float``, ``decimal.Decimal``, ``datetime.datetime`` (UTCTimestamp;
/// naive ones are taken as UTC), ``datetime.date`` or ``datetime.time``.
///
/// Messages received by an ``Application`` carry their header and
/// trailer; their repeating groups are gathered by the dictionary of the
/// session's version.
#[pyclass(name = "FixMessage", module = "fixrs", frozen, subclass)]
pub struct PyFixMessage {
    pub(crate) fields: SharedFields,
    pub(crate) version: FixVersion,
}

/// One entry of a repeating group: fields (and nested groups) like a
/// message's, changed in place.
#[pyclass(name = "GroupEntry", module = "fixrs", frozen)]
pub struct PyGroupEntry {
    fields: SharedFields,
    version: FixVersion,
}

/// A repeating group of a message: a sequence of ``GroupEntry``.
#[pyclass(name = "Group", module = "fixrs", frozen, sequence)]
pub struct PyGroup {
    group: SharedGroup,
    version: FixVersion,
}

impl PyFixMessage {
    /// A message of the fields of `list`.
    pub fn from_list(list: FieldList, version: FixVersion) -> PyFixMessage {
        PyFixMessage {
            fields: Arc::new(Mutex::new(list)),
            version,
        }
    }

    /// An empty message of `msg_type` (BeginString and MsgType set).
    pub fn build(msg_type: &str, version: FixVersion) -> PyResult<PyFixMessage> {
        if msg_type.is_empty() || msg_type.contains(['=', '\x01', '|']) {
            return Err(PyValueError::new_err(format!(
                "{msg_type:?} is not a MsgType"
            )));
        }
        let mut list = FieldList::with_capacity(16, 128);
        list.push(tag::BEGIN_STRING, version.begin_string().as_bytes());
        list.push(tag::MSG_TYPE, msg_type.as_bytes());
        Ok(PyFixMessage::from_list(list, version))
    }

    fn dict(&self) -> &'static Dictionary {
        dictionary(self.version)
    }
}

/// Reads the field `tag` (a number or a name) of `fields` with `convert`;
/// `None` when absent.
fn read<T>(
    fields: &SharedFields,
    version: FixVersion,
    tag: &Bound<'_, PyAny>,
    convert: impl FnOnce(Tag, &[u8]) -> PyResult<T>,
) -> PyResult<Option<T>> {
    let tag = values::tag_of(tag, dictionary(version))?;
    let fields = lock(fields);
    fields.get(tag).map(|v| convert(tag, v)).transpose()
}

// The field methods of messages and group entries are the same.
macro_rules! field_methods {
    ($ty:ty, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($extra)*

            /// Sets a field (replacing the first one with this tag, or
            /// appending it) and returns the object, so that calls chain.
            fn set<'py>(
                slf: Bound<'py, Self>,
                tag: &Bound<'py, PyAny>,
                value: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, Self>> {
                let this = slf.get();
                let tag = values::tag_of(tag, dictionary(this.version))?;
                values::with_fix(value, |text| lock(&this.fields).set(tag, text))?;
                Ok(slf)
            }

            /// The value of the field as ``str``; ``default`` (``None``)
            /// when absent.
            #[pyo3(signature = (tag, default=None))]
            fn get<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
                default: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Option<Bound<'py, PyAny>>> {
                let tag = values::tag_of(tag, dictionary(self.version))?;
                let fields = lock(&self.fields);
                Ok(match fields.get(tag) {
                    Some(v) => Some(
                        PyString::new(py, &String::from_utf8_lossy(v)).into_any(),
                    ),
                    None => default,
                })
            }

            /// The raw value of the field as ``bytes``, or ``None``.
            fn get_bytes<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Option<Bound<'py, PyBytes>>> {
                let tag = values::tag_of(tag, dictionary(self.version))?;
                Ok(lock(&self.fields).get(tag).map(|v| PyBytes::new(py, v)))
            }

            /// The field as ``int``, or ``None`` when absent.
            fn get_int<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Option<Bound<'py, PyAny>>> {
                read(&self.fields, self.version, tag, |t, v| values::to_int(py, t, v))
            }

            /// The field as ``float``, or ``None`` when absent.
            fn get_float(&self, tag: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
                read(&self.fields, self.version, tag, |t, v| values::to_float(t, v))
            }

            /// The field as ``decimal.Decimal`` (exact), or ``None``.
            fn get_decimal<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Option<Bound<'py, PyAny>>> {
                read(&self.fields, self.version, tag, |t, v| values::to_decimal(py, t, v))
            }

            /// The field (``Y``/``N``) as ``bool``, or ``None``.
            fn get_bool(&self, tag: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
                read(&self.fields, self.version, tag, |t, v| values::to_bool(t, v))
            }

            /// A UTCTimestamp field as an aware ``datetime.datetime`` in
            /// UTC, or ``None``.
            fn get_datetime<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Option<Bound<'py, PyAny>>> {
                read(&self.fields, self.version, tag, |t, v| values::to_datetime(py, t, v))
            }

            /// A UTCDateOnly or LocalMktDate field as ``datetime.date``,
            /// or ``None``.
            fn get_date<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Option<Bound<'py, PyAny>>> {
                read(&self.fields, self.version, tag, |t, v| values::to_date(py, t, v))
            }

            /// A UTCTimeOnly field as ``datetime.time``, or ``None``.
            fn get_time<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Option<Bound<'py, PyAny>>> {
                read(&self.fields, self.version, tag, |t, v| values::to_time(py, t, v))
            }

            /// Whether a field or group with this tag is present.
            fn is_tag_exists(&self, tag: &Bound<'_, PyAny>) -> PyResult<bool> {
                let tag = values::tag_of(tag, dictionary(self.version))?;
                Ok(lock(&self.fields).contains(tag))
            }

            /// Same as ``is_tag_exists``.
            fn has(&self, tag: &Bound<'_, PyAny>) -> PyResult<bool> {
                self.is_tag_exists(tag)
            }

            fn __contains__(&self, tag: &Bound<'_, PyAny>) -> PyResult<bool> {
                self.is_tag_exists(tag)
            }

            fn __getitem__<'py>(
                &self,
                py: Python<'py>,
                tag: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let t = values::tag_of(tag, dictionary(self.version))?;
                match lock(&self.fields).get(t) {
                    Some(v) => Ok(PyString::new(py, &String::from_utf8_lossy(v)).into_any()),
                    None => Err(pyo3::exceptions::PyKeyError::new_err(t)),
                }
            }

            fn __setitem__(
                slf: Bound<'_, Self>,
                tag: &Bound<'_, PyAny>,
                value: &Bound<'_, PyAny>,
            ) -> PyResult<()> {
                Self::set(slf, tag, value).map(|_| ())
            }

            fn __delitem__(&self, tag: &Bound<'_, PyAny>) -> PyResult<()> {
                let t = values::tag_of(tag, dictionary(self.version))?;
                if lock(&self.fields).remove(t) {
                    Ok(())
                } else {
                    Err(pyo3::exceptions::PyKeyError::new_err(t))
                }
            }

            /// Removes every field (or group) with this tag; returns
            /// whether there was one.
            fn remove(&self, tag: &Bound<'_, PyAny>) -> PyResult<bool> {
                let tag = values::tag_of(tag, dictionary(self.version))?;
                Ok(lock(&self.fields).remove(tag))
            }

            /// Adds a repeating group counted by ``count_tag`` (replacing
            /// one already there) with ``size`` empty entries.
            #[pyo3(signature = (count_tag, size=0))]
            fn add_group(&self, count_tag: &Bound<'_, PyAny>, size: usize) -> PyResult<PyGroup> {
                let count_tag = values::tag_of(count_tag, dictionary(self.version))?;
                let group = lock(&self.fields).add_group(count_tag);
                {
                    let mut g = lock(&group);
                    for _ in 0..size {
                        g.add_entry();
                    }
                }
                Ok(PyGroup {
                    group,
                    version: self.version,
                })
            }

            /// The repeating group counted by ``count_tag``, or ``None``.
            fn get_group(&self, count_tag: &Bound<'_, PyAny>) -> PyResult<Option<PyGroup>> {
                let count_tag = values::tag_of(count_tag, dictionary(self.version))?;
                Ok(lock(&self.fields).group(count_tag).map(|group| PyGroup {
                    group,
                    version: self.version,
                }))
            }

            /// Every field as ``(tag, value)`` in order, groups flattened
            /// as on the wire.
            fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
                let mut flat = Vec::new();
                lock(&self.fields).flatten(&mut flat);
                let items: Vec<Bound<'py, PyTuple>> = flat
                    .into_iter()
                    .map(|(t, v)| {
                        PyTuple::new(
                            py,
                            [
                                t.into_pyobject(py)?.into_any(),
                                PyString::new(py, &String::from_utf8_lossy(&v)).into_any(),
                            ],
                        )
                    })
                    .collect::<PyResult<_>>()?;
                PyList::new(py, items)
            }

            fn __len__(&self) -> usize {
                lock(&self.fields).len()
            }
        }
    };
}

field_methods!(PyFixMessage, {
    #[new]
    #[pyo3(signature = (msg_type, version=None))]
    fn new(msg_type: &str, version: Option<&Bound<'_, PyAny>>) -> PyResult<PyFixMessage> {
        let version = match version {
            Some(v) => version_arg(v)?.version(),
            None => FixVersion::Fix44,
        };
        PyFixMessage::build(msg_type, version)
    }

    /// Reads a message from its text: ``tag=value`` fields separated by
    /// SOH, or by ``|`` when the text has no SOH. BodyLength(9) and
    /// CheckSum(10), when present, are checked. The version comes from
    /// BeginString(8) (and ApplVerID(1128)) if present, else ``version``.
    #[staticmethod]
    #[pyo3(signature = (text, version=None))]
    fn from_string(
        text: &Bound<'_, PyAny>,
        version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyFixMessage> {
        let bytes: Vec<u8> = if let Ok(s) = text.cast::<PyString>() {
            s.to_cow()?.as_bytes().to_vec()
        } else if let Ok(b) = text.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "from_string takes str or bytes",
            ));
        };
        let (bytes, spans) = fields::parse_text(&bytes).map_err(|e| PyValueError::new_err(e.0))?;
        let fallback = match version {
            Some(v) => version_arg(v)?.version(),
            None => FixVersion::Fix44,
        };
        // BeginString and ApplVerID name the version whose dictionary
        // gathers the groups.
        let probe = {
            let mut l = FieldList::default();
            for s in spans
                .iter()
                .filter(|s| s.tag == tag::BEGIN_STRING || s.tag == fixrs_proto::tag::APPL_VER_ID)
            {
                l.push(s.tag, &bytes[s.range()]);
            }
            l
        };
        let version = fields::version_of(&probe, fallback).unwrap_or(fallback);
        let list = FieldList::received(bytes, spans, dictionary(version));
        Ok(PyFixMessage::from_list(list, version))
    }

    /// The complete message with BodyLength(9) and CheckSum(10) computed,
    /// fields separated by SOH, or by ``delimiter``.
    #[pyo3(signature = (delimiter=None))]
    fn to_string(&self, delimiter: Option<&str>) -> PyResult<String> {
        let wire = fields::to_wire(&lock(&self.fields), self.version.begin_string());
        let text = String::from_utf8_lossy(&wire).into_owned();
        Ok(match delimiter {
            Some(d) => text.replace('\x01', d),
            None => text,
        })
    }

    /// The complete message as ``bytes`` (SOH-separated).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let wire = fields::to_wire(&lock(&self.fields), self.version.begin_string());
        PyBytes::new(py, &wire)
    }

    /// MsgType(35).
    #[getter]
    fn r#type<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        let fields = lock(&self.fields);
        let t = fields.get(tag::MSG_TYPE).unwrap_or(b"");
        PyString::new(py, &String::from_utf8_lossy(t))
    }

    /// MsgSeqNum(34) of a received message, or ``None``.
    #[getter]
    fn seq_num(&self) -> Option<u64> {
        lock(&self.fields)
            .get(tag::MSG_SEQ_NUM)
            .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
    }

    /// The FIX version whose dictionary names the fields.
    #[getter]
    fn version(&self) -> PyFixVersion {
        PyFixVersion::of(self.version)
    }

    /// The name of MsgType(35) in the dictionary (``"NewOrderSingle"``).
    #[getter]
    fn type_name(&self) -> Option<String> {
        let fields = lock(&self.fields);
        let t = fields.get(tag::MSG_TYPE)?;
        self.dict().message(t).map(|m| m.name().to_string())
    }

    /// A deep copy.
    fn copy(&self) -> PyFixMessage {
        PyFixMessage::from_list(lock(&self.fields).deep_copy(), self.version)
    }

    fn __copy__(&self) -> PyFixMessage {
        self.copy()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyFixMessage {
        self.copy()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyFixMessage>() {
            Ok(o) => {
                // One lock at a time: `m == m` compares a list with itself.
                let (mut fa, mut fb) = (Vec::new(), Vec::new());
                lock(&self.fields).flatten(&mut fa);
                lock(&o.get().fields).flatten(&mut fb);
                // BodyLength and CheckSum follow from the rest.
                let computed =
                    |f: &(Tag, Vec<u8>)| f.0 != tag::BODY_LENGTH && f.0 != tag::CHECK_SUM;
                fa.retain(computed);
                fb.retain(computed);
                fa == fb
            }
            Err(_) => false,
        }
    }

    fn __str__(&self) -> PyResult<String> {
        self.to_string(Some("|"))
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("FixMessage({:?})", self.to_string(Some("|"))?))
    }
});

field_methods!(PyGroupEntry, {
    fn __repr__(&self) -> String {
        let mut flat = Vec::new();
        lock(&self.fields).flatten(&mut flat);
        let text: Vec<String> = flat
            .iter()
            .map(|(t, v)| format!("{t}={}", String::from_utf8_lossy(v)))
            .collect();
        format!("GroupEntry({:?})", text.join("|"))
    }
});

impl PyGroup {
    fn entry(&self, index: isize) -> PyResult<PyGroupEntry> {
        let g = lock(&self.group);
        let len = g.entries.len() as isize;
        let i = if index < 0 { index + len } else { index };
        if i < 0 || i >= len {
            return Err(PyIndexError::new_err(format!(
                "entry {index} of a group of {len}"
            )));
        }
        Ok(PyGroupEntry {
            fields: g.entries[i as usize].clone(),
            version: self.version,
        })
    }
}

#[pymethods]
impl PyGroup {
    /// Appends an empty entry and returns it.
    fn add_entry(&self) -> PyGroupEntry {
        PyGroupEntry {
            fields: lock(&self.group).add_entry(),
            version: self.version,
        }
    }

    /// The entry at ``index``.
    fn get_entry(&self, index: isize) -> PyResult<PyGroupEntry> {
        self.entry(index)
    }

    /// Removes the entry at ``index``.
    fn remove_entry(&self, index: isize) -> PyResult<()> {
        self.entry(index)?;
        let mut g = lock(&self.group);
        let len = g.entries.len() as isize;
        let i = if index < 0 { index + len } else { index };
        g.entries.remove(i as usize);
        Ok(())
    }

    /// The number of entries (the NumInGroup value written).
    fn size(&self) -> usize {
        lock(&self.group).entries.len()
    }

    /// The NumInGroup tag.
    #[getter]
    fn count_tag(&self) -> Tag {
        lock(&self.group).count_tag
    }

    fn __len__(&self) -> usize {
        self.size()
    }

    fn __getitem__(&self, index: isize) -> PyResult<PyGroupEntry> {
        self.entry(index)
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let entries: Vec<PyGroupEntry> = lock(&slf.group)
            .entries
            .iter()
            .map(|e| PyGroupEntry {
                fields: e.clone(),
                version: slf.version,
            })
            .collect();
        let list = PyList::new(py, entries)?;
        Ok(list.try_iter()?.into_any().unbind())
    }

    fn __repr__(&self) -> String {
        let g = lock(&self.group);
        format!("Group({}, {} entries)", g.count_tag, g.entries.len())
    }
}

impl From<(SharedGroup, FixVersion)> for PyGroup {
    fn from((group, version): (SharedGroup, FixVersion)) -> Self {
        PyGroup { group, version }
    }
}

/// The tag number of a field name (``tag_of("ClOrdID") == 11``) in the
/// built-in dictionary of ``version`` (FIX 4.4 by default).
#[pyfunction]
#[pyo3(signature = (name, version=None))]
pub fn tag_of(name: &str, version: Option<&Bound<'_, PyAny>>) -> PyResult<Tag> {
    let version = match version {
        Some(v) => version_arg(v)?.version(),
        None => FixVersion::Fix44,
    };
    dictionary(version)
        .field_by_name(name)
        .map(|f| f.tag())
        .ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!(
                "no field named {name:?} in the {} dictionary",
                dictionary(version).name()
            ))
        })
}

/// The name of a tag (``field_name(11) == "ClOrdID"``) in the built-in
/// dictionary of ``version`` (FIX 4.4 by default), or ``None``.
#[pyfunction]
#[pyo3(signature = (tag, version=None))]
pub fn field_name(tag: Tag, version: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let version = match version {
        Some(v) => version_arg(v)?.version(),
        None => FixVersion::Fix44,
    };
    Ok(dictionary(version).field_name(tag).map(str::to_string))
}
