//! The schedule keys (StartTime, EndTime, days, time zone, logon window)
//! and the session schedule they make.

use super::format;
use super::key::{Format, Key, Located};
use super::{ParseOptions, Section, SettingsError};
use crate::schedule::{Recurrence, Schedule, TimeOfDay, TimeZone, Weekday, Weekdays};

const SCHEDULE: &str = "Schedule";

/// A StartTime or EndTime with its optional time zone.
type ClockTime = (TimeOfDay, Option<TimeZone>);

const CLOCK_TIME: Format<ClockTime> = Format {
    expected: "HH:MM:SS, optionally followed by a time zone",
    parse: parse_clock_time,
};

const WEEKDAY: Format<Weekday> = Format {
    expected: "a day of the week, such as Monday or mo",
    parse: Weekday::parse,
};

const TIME_OF_DAY: Format<TimeOfDay> = Format {
    expected: "HH:MM:SS",
    parse: TimeOfDay::parse,
};

pub(super) static START_TIME: Key<ClockTime> = Key {
    name: "StartTime",
    group: SCHEDULE,
    format: CLOCK_TIME,
    default: "none (always in session)",
    example: "StartTime=08:00:00",
    meaning: "Start of each session period, `HH:MM:SS` (or `HH:MM`), optionally followed by a time zone (`08:00:00 America/New_York`) that overrides TimeZone. A new period resets sequence numbers.",
    also: &[],
};

pub(super) static END_TIME: Key<ClockTime> = Key {
    name: "EndTime",
    group: SCHEDULE,
    format: CLOCK_TIME,
    default: "none (always in session)",
    example: "EndTime=17:00:00",
    meaning: "End of each period; not after StartTime means the next day, equal to StartTime a 24-hour period.",
    also: &[],
};

pub(super) static START_DAY: Key<Weekday> = Key {
    name: "StartDay",
    group: SCHEDULE,
    format: WEEKDAY,
    default: "none (daily)",
    example: "StartDay=Sunday",
    meaning:
        "Day a weekly period starts (English name or any abbreviation of two letters or more).",
    also: &[],
};

pub(super) static END_DAY: Key<Weekday> = Key {
    name: "EndDay",
    group: SCHEDULE,
    format: WEEKDAY,
    default: "none (daily)",
    example: "EndDay=Friday",
    meaning: "Day a weekly period ends.",
    also: &[],
};

pub(super) static WEEKDAYS: Key<Weekdays> = Key {
    name: "Weekdays",
    group: SCHEDULE,
    format: Format {
        expected: "comma-separated days, such as Mon,Tue,Wed",
        parse: Weekdays::parse,
    },
    default: "every day",
    example: "Weekdays=Mon,Tue,Wed,Thu,Fri",
    meaning: "Days on which a daily period starts, comma-separated; not with StartDay and EndDay.",
    also: &[],
};

pub(super) static TIME_ZONE: Key<TimeZone> = Key {
    name: "TimeZone",
    group: SCHEDULE,
    format: Format {
        expected: "UTC, an offset such as +05:30, or an IANA name such as America/New_York",
        parse: |v| TimeZone::parse(v).ok(),
    },
    default: "UTC",
    example: "TimeZone=America/New_York",
    meaning: "Time zone of StartTime and EndTime: `UTC`, an offset (`+05:30`, `UTC-04:00`) or an IANA name (`Europe/London`), whose daylight saving time is followed.",
    also: &[],
};

pub(super) static USE_LOCAL_TIME: Key<bool> = Key {
    name: "UseLocalTime",
    group: SCHEDULE,
    format: format::BOOL,
    default: "N",
    example: "UseLocalTime=N",
    meaning: "Read StartTime and EndTime in the machine's time zone (which the program passes to the parser); not with TimeZone.",
    also: &[],
};

pub(super) static NON_STOP_SESSION: Key<bool> = Key {
    name: "NonStopSession",
    group: SCHEDULE,
    format: format::BOOL,
    default: "N",
    example: "NonStopSession=Y",
    meaning: "Always in session, ignoring StartTime, EndTime and days.",
    also: &[],
};

pub(super) static LOGON_TIME: Key<TimeOfDay> = Key {
    name: "LogonTime",
    group: SCHEDULE,
    format: TIME_OF_DAY,
    default: "the StartTime",
    example: "LogonTime=08:30:00",
    meaning: "Start of the part of each period in which the session logs on (an initiator connects, an acceptor takes Logons); `HH:MM:SS`, in the time zone of StartTime. Leaving this window logs out, without the sequence reset a new period brings.",
    also: &[],
};

pub(super) static LOGOUT_TIME: Key<TimeOfDay> = Key {
    name: "LogoutTime",
    group: SCHEDULE,
    format: TIME_OF_DAY,
    default: "the EndTime",
    example: "LogoutTime=16:30:00",
    meaning: "End of the logon window; needs LogonTime.",
    also: &[],
};

pub(super) static LOGON_DAY: Key<Weekday> = Key {
    name: "LogonDay",
    group: SCHEDULE,
    format: WEEKDAY,
    default: "the StartDay",
    example: "LogonDay=Monday",
    meaning: "Day a weekly logon window starts; needs LogoutDay.",
    also: &[],
};

pub(super) static LOGOUT_DAY: Key<Weekday> = Key {
    name: "LogoutDay",
    group: SCHEDULE,
    format: WEEKDAY,
    default: "the EndDay",
    example: "LogoutDay=Friday",
    meaning: "Day a weekly logon window ends.",
    also: &[],
};

fn parse_clock_time(v: &str) -> Option<ClockTime> {
    match v.split_once(char::is_whitespace) {
        Some((time, zone)) => Some((TimeOfDay::parse(time)?, Some(TimeZone::parse(zone).ok()?))),
        None => Some((TimeOfDay::parse(v)?, None)),
    }
}

fn missing(line: usize, key: &str, why: String) -> SettingsError {
    SettingsError::MissingKey {
        line,
        key: key.to_string(),
        why,
    }
}

/// The line and key of a value read.
fn place<T>(at: &Located<T>) -> (usize, &str) {
    (at.line, at.key.as_str())
}

/// A period's StartTime and EndTime as read.
type Period = (Located<ClockTime>, Located<ClockTime>);

/// The session's schedule (StartTime, EndTime, days) and its logon window
/// (LogonTime, LogoutTime, LogonDay, LogoutDay), in one time zone.
pub(super) fn read(
    s: &Section,
    options: &ParseOptions,
) -> Result<(Option<Schedule>, Option<Schedule>), SettingsError> {
    let non_stop = s.get(&NON_STOP_SESSION)?.unwrap_or(false);
    let days = PeriodDays {
        start: s.get_at(&START_DAY)?,
        end: s.get_at(&END_DAY)?,
        weekdays: s.get_at(&WEEKDAYS)?,
    };
    let period = read_period(s, non_stop, &days)?;
    let window = WindowKeys::read(s)?;
    let window_key = window.first();
    if period.is_none() && window_key.is_none() {
        return Ok((None, None));
    }
    let zone = read_zone(s, options, period.as_ref())?;
    let recurrence = days.recurrence()?;
    let period_times = period
        .as_ref()
        .map(|(start, end)| (start.value.0, end.value.0));
    let schedule = period_times.map(|(start, end)| make(recurrence, start, end, zone));
    let Some(window_key) = window_key else {
        return Ok((schedule, None));
    };
    let window = window.schedule(window_key, period_times, recurrence, zone)?;
    Ok((schedule, Some(window)))
}

/// StartTime and EndTime, both or neither (then no day key either); none
/// for a NonStopSession.
fn read_period(
    s: &Section,
    non_stop: bool,
    days: &PeriodDays,
) -> Result<Option<Period>, SettingsError> {
    match (s.get_at(&START_TIME)?, s.get_at(&END_TIME)?) {
        _ if non_stop => Ok(None),
        (Some(start), Some(end)) => Ok(Some((start, end))),
        (Some(start), None) => Err(missing(
            start.line,
            "EndTime",
            format!("required with {}", start.key),
        )),
        (None, Some(end)) => Err(missing(
            end.line,
            "StartTime",
            format!("required with {}", end.key),
        )),
        (None, None) => match days.first() {
            Some((at, key)) => Err(missing(at, "StartTime", format!("required with {key}"))),
            None => Ok(None),
        },
    }
}

/// The time zone of the period and the window: StartTime's or EndTime's
/// own, else TimeZone, else the machine's with UseLocalTime=Y, else UTC.
fn read_zone(
    s: &Section,
    options: &ParseOptions,
    period: Option<&Period>,
) -> Result<TimeZone, SettingsError> {
    let (start_zone, end_zone) = match period {
        Some((start, end)) => {
            if let (Some(a), Some(b)) = (start.value.1, end.value.1) {
                if a != b {
                    return Err(SettingsError::Inconsistent {
                        line: end.line,
                        key: end.key.clone(),
                        reason: format!("time zone {b} differs from StartTime's {a}"),
                    });
                }
            }
            (start.value.1, end.value.1)
        }
        None => (None, None),
    };
    let use_local = s.get_at(&USE_LOCAL_TIME)?.filter(|at| at.value);
    match (start_zone.or(end_zone), s.get(&TIME_ZONE)?, use_local) {
        (Some(zone), _, _) => Ok(zone),
        (None, Some(_), Some(at)) => Err(SettingsError::Inconsistent {
            line: at.line,
            key: at.key,
            reason: "UseLocalTime=Y conflicts with TimeZone".to_string(),
        }),
        (None, Some(zone), None) => Ok(zone),
        (None, None, Some(at)) => match options.local_time_zone {
            Some(zone) => Ok(zone),
            None => Err(SettingsError::Inconsistent {
                line: at.line,
                key: at.key,
                reason:
                    "the machine's time zone is not known here; set TimeZone to its name instead"
                        .to_string(),
            }),
        },
        (None, None, None) => Ok(TimeZone::UTC),
    }
}

/// A schedule of `recurrence` from `start` to `end` in `zone`.
fn make(recurrence: Recurrence, start: TimeOfDay, end: TimeOfDay, zone: TimeZone) -> Schedule {
    let schedule = match recurrence {
        Recurrence::Daily(days) => Schedule::daily_on(days, start, end),
        Recurrence::Weekly { start_day, end_day } => {
            Schedule::weekly(start_day, start, end_day, end)
        }
    };
    schedule.in_time_zone(zone)
}

/// The period's day keys as read: StartDay and EndDay (weekly), or
/// Weekdays (daily).
struct PeriodDays {
    start: Option<Located<Weekday>>,
    end: Option<Located<Weekday>>,
    weekdays: Option<Located<Weekdays>>,
}

impl PeriodDays {
    /// The place of the first day key set, if any.
    fn first(&self) -> Option<(usize, &str)> {
        [
            self.start.as_ref().map(place),
            self.end.as_ref().map(place),
            self.weekdays.as_ref().map(place),
        ]
        .into_iter()
        .flatten()
        .next()
    }

    /// Which days the period starts on.
    fn recurrence(&self) -> Result<Recurrence, SettingsError> {
        match (&self.start, &self.end, &self.weekdays) {
            (Some(_), Some(_), Some(at)) => Err(SettingsError::Inconsistent {
                line: at.line,
                key: at.key.clone(),
                reason:
                    "Weekdays (a daily session) conflicts with StartDay and EndDay (a weekly session)"
                        .to_string(),
            }),
            (Some(start), Some(end), None) => Ok(Recurrence::Weekly {
                start_day: start.value,
                end_day: end.value,
            }),
            (Some(at), None, _) => Err(missing(
                at.line,
                "EndDay",
                format!("required with {}", at.key),
            )),
            (None, Some(at), _) => Err(missing(
                at.line,
                "StartDay",
                format!("required with {}", at.key),
            )),
            (None, None, Some(days)) => Ok(Recurrence::Daily(days.value)),
            (None, None, None) => Ok(Recurrence::Daily(Weekdays::ALL)),
        }
    }
}

/// The logon window's keys as read.
struct WindowKeys {
    logon_time: Option<Located<TimeOfDay>>,
    logout_time: Option<Located<TimeOfDay>>,
    logon_day: Option<Located<Weekday>>,
    logout_day: Option<Located<Weekday>>,
}

impl WindowKeys {
    fn read(s: &Section) -> Result<WindowKeys, SettingsError> {
        Ok(WindowKeys {
            logon_time: s.get_at(&LOGON_TIME)?,
            logout_time: s.get_at(&LOGOUT_TIME)?,
            logon_day: s.get_at(&LOGON_DAY)?,
            logout_day: s.get_at(&LOGOUT_DAY)?,
        })
    }

    /// The place of the first window key set; none means no window.
    fn first(&self) -> Option<(usize, &str)> {
        [
            self.logon_time.as_ref().map(place),
            self.logout_time.as_ref().map(place),
            self.logon_day.as_ref().map(place),
            self.logout_day.as_ref().map(place),
        ]
        .into_iter()
        .flatten()
        .next()
    }

    /// The window's schedule; its times and days default to the period's
    /// (`period_times`, `recurrence`), as QuickFIX's do. `(line, key)` is
    /// the first window key, named when one it needs is missing.
    fn schedule(
        &self,
        (window_line, window_key): (usize, &str),
        period_times: Option<(TimeOfDay, TimeOfDay)>,
        recurrence: Recurrence,
        zone: TimeZone,
    ) -> Result<Schedule, SettingsError> {
        let logon = self
            .logon_time
            .as_ref()
            .map(|at| at.value)
            .or(period_times.map(|t| t.0));
        let logout = self
            .logout_time
            .as_ref()
            .map(|at| at.value)
            .or(period_times.map(|t| t.1));
        let (logon, logout) = match (logon, logout) {
            (Some(a), Some(b)) => (a, b),
            (None, _) => {
                return Err(missing(
                    window_line,
                    "LogonTime",
                    format!("required with {window_key} when there is no StartTime"),
                ))
            }
            (_, None) => {
                return Err(missing(
                    window_line,
                    "LogoutTime",
                    format!("required with {window_key} when there is no EndTime"),
                ))
            }
        };
        let period_days = match recurrence {
            Recurrence::Weekly { start_day, end_day } => (Some(start_day), Some(end_day)),
            Recurrence::Daily(_) => (None, None),
        };
        let window_recurrence = match (
            self.logon_day.as_ref().map(|at| at.value).or(period_days.0),
            self.logout_day
                .as_ref()
                .map(|at| at.value)
                .or(period_days.1),
        ) {
            (Some(start_day), Some(end_day)) => Recurrence::Weekly { start_day, end_day },
            (None, None) => recurrence,
            (Some(_), None) => {
                let (at, key) = self
                    .logon_day
                    .as_ref()
                    .map_or((window_line, window_key), place);
                return Err(missing(at, "LogoutDay", format!("required with {key}")));
            }
            (None, Some(_)) => {
                let (at, key) = self
                    .logout_day
                    .as_ref()
                    .map_or((window_line, window_key), place);
                return Err(missing(at, "LogonDay", format!("required with {key}")));
            }
        };
        Ok(make(window_recurrence, logon, logout, zone))
    }
}
