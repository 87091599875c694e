//! Session schedules: daily and weekly session periods (StartTime, EndTime,
//! StartDay, EndDay, TimeZone), evaluated from the UTC time the caller
//! gives.

/// A time of day, seconds since midnight in the schedule's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(pub u32);

/// When a session is in its period. A new period starts a new sequence
/// (sequence numbers reset to 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Start of the period each day (or on `start_day` for weekly ones).
    pub start_time: TimeOfDay,
    /// End of the period.
    pub end_time: TimeOfDay,
    /// For weekly sessions, the day the period starts (0 = Sunday).
    pub start_day: Option<u32>,
    /// For weekly sessions, the day the period ends (0 = Sunday).
    pub end_day: Option<u32>,
    /// Offset of the schedule's time zone from UTC, in seconds.
    pub utc_offset_secs: i32,
}
