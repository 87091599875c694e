//! The per-session FIX message log on disk, in QuickFIX's FileLog layout.
//!
//! Each session writes two files in the log directory:
//! `<prefix>.messages.current.log` (every message received and sent, one
//! per line, SOH kept as SOH) and `<prefix>.event.current.log` (session
//! events), where the prefix is `BeginString-SenderCompID-TargetCompID`
//! (plus `-Qualifier` when the session has one). Each line starts with the
//! UTC time and ` : `. Writes are buffered: outgoing messages are written
//! to the operating system before they go to the socket (one system call
//! per batch written, so that after a crash the log holds everything the
//! peer may have received), the rest once per event loop iteration.

use fixrs_proto::value::TimePrecision;
use fixrs_proto::UtcTimestamp;
use fixrs_session::SessionKey;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Buffer size of each log file.
const LOG_BUFFER: usize = 64 * 1024;

/// The file name prefix QuickFIX uses for a session's log files.
pub fn file_prefix(key: &SessionKey) -> String {
    let mut p = format!(
        "{}-{}-{}",
        key.begin_string, key.id.sender_comp_id, key.id.target_comp_id
    );
    if let Some(q) = &key.id.qualifier {
        p.push('-');
        p.push_str(q);
    }
    // Keep the name a single path component whatever the CompIDs contain.
    p.chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect()
}

/// A session's message and event log files.
#[derive(Debug)]
pub struct FileLog {
    messages: BufWriter<File>,
    events: BufWriter<File>,
    messages_path: PathBuf,
    dirty: bool,
    stamp: Vec<u8>,
}

impl FileLog {
    /// Opens (appending) or creates the log files of `key` in `dir`,
    /// creating the directory if needed.
    pub fn open(dir: &Path, key: &SessionKey) -> io::Result<FileLog> {
        std::fs::create_dir_all(dir)?;
        let prefix = file_prefix(key);
        let messages_path = dir.join(format!("{prefix}.messages.current.log"));
        let events_path = dir.join(format!("{prefix}.event.current.log"));
        let open = |p: &Path| OpenOptions::new().create(true).append(true).open(p);
        Ok(FileLog {
            messages: BufWriter::with_capacity(LOG_BUFFER, open(&messages_path)?),
            events: BufWriter::with_capacity(LOG_BUFFER, open(&events_path)?),
            messages_path,
            dirty: false,
            stamp: Vec::with_capacity(32),
        })
    }

    /// The path of the message log.
    pub fn messages_path(&self) -> &Path {
        &self.messages_path
    }

    fn line(
        out: &mut BufWriter<File>,
        stamp: &mut Vec<u8>,
        utc: UtcTimestamp,
        text: &[u8],
    ) -> io::Result<()> {
        stamp.clear();
        utc.write(TimePrecision::Millis, stamp);
        stamp.extend_from_slice(b" : ");
        out.write_all(stamp)?;
        out.write_all(text)?;
        out.write_all(b"\n")
    }

    /// Logs one message (received or sent).
    pub fn message(&mut self, utc: UtcTimestamp, bytes: &[u8]) -> io::Result<()> {
        self.dirty = true;
        FileLog::line(&mut self.messages, &mut self.stamp, utc, bytes)
    }

    /// Logs every complete message in `bytes` (a batch of outgoing
    /// messages), one per line.
    pub fn messages(&mut self, utc: UtcTimestamp, mut bytes: &[u8]) -> io::Result<()> {
        let config = fixrs_proto::FrameConfig {
            max_message_size: usize::MAX,
            verify_checksum: false,
        };
        while !bytes.is_empty() {
            let n = match fixrs_proto::framing::scan(bytes, &config) {
                fixrs_proto::framing::Scan::Complete(n) => n,
                // Not a frame boundary (cannot happen for bytes a session
                // encoded): log the rest as one line rather than lose it.
                _ => bytes.len(),
            };
            self.message(utc, &bytes[..n])?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// Logs a session event.
    pub fn event(&mut self, utc: UtcTimestamp, text: &str) -> io::Result<()> {
        self.dirty = true;
        FileLog::line(&mut self.events, &mut self.stamp, utc, text.as_bytes())
    }

    /// Whether lines were added since the last flush.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Writes buffered lines to the files if any were added.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.dirty {
            self.dirty = false;
            self.messages.flush()?;
            self.events.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_message_per_line_with_soh_kept() {
        let dir = tempfile::tempdir().unwrap();
        let key =
            fixrs_session::SessionConfig::initiator(fixrs_proto::FixVersion::Fix44, "A", "B").key();
        let mut log = FileLog::open(dir.path(), &key).unwrap();
        let m1 = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
        let mut batch = m1.to_vec();
        batch.extend_from_slice(m1);
        log.messages(UtcTimestamp::from_unix(0, 0), &batch).unwrap();
        log.event(UtcTimestamp::from_unix(0, 0), "connected")
            .unwrap();
        log.flush().unwrap();
        let text = std::fs::read(dir.path().join("FIX.4.4-A-B.messages.current.log")).unwrap();
        let lines: Vec<&[u8]> = text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with(b"19700101-00:00:00.000 : 8=FIX.4.4\x01"));
        assert!(lines[0].ends_with(b"10=163\x01"));
        let events =
            std::fs::read_to_string(dir.path().join("FIX.4.4-A-B.event.current.log")).unwrap();
        assert_eq!(events, "19700101-00:00:00.000 : connected\n");
    }
}
