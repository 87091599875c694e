//! Keys QuickFIX defines that mean nothing here: a QuickFIX file loads
//! with one warning per such key instead of failing on them.

use super::key::{KeyDoc, KeySpec};
use super::{Entry, SettingsError};

/// The group of these keys in the reference.
const GROUP: &str = "QuickFIX keys without effect here";

/// One key, or one family of database keys, accepted with a warning.
struct Ignored {
    /// The key; for a family, its prefix followed by `...`.
    name: &'static str,
    /// For a family, the lists of suffixes after the prefix.
    suffixes: &'static [&'static [&'static str]],
    example: &'static str,
    /// Why it has no effect (the warning's text).
    meaning: &'static str,
}

/// The keys after the prefix of a QuickFIX database store or log.
const DATABASE: &[&str] = &[
    "UseConnectionPool",
    "Database",
    "User",
    "Password",
    "Host",
    "Port",
];
/// Those of an ODBC one.
const ODBC: &[&str] = &["User", "Password", "ConnectionString"];
/// And those a log adds.
const TABLES: &[&str] = &["IncomingTable", "OutgoingTable", "EventTable"];

static IGNORED: &[Ignored] = &[
    Ignored {
        name: "FileLogBackupPath",
        suffixes: &[],
        example: "FileLogBackupPath=log/backup",
        meaning: "QuickFIX moves old logs there when it resets them; the file log here appends and is never reset, so there is nothing to move.",
    },
    Ignored {
        name: "HttpAcceptPort",
        suffixes: &[],
        example: "HttpAcceptPort=8080",
        meaning: "QuickFIX's HTML status page; this engine has none (use the engine API or `fixctl`).",
    },
    Ignored {
        name: "PreserveMessageFieldsOrder",
        suffixes: &[],
        example: "PreserveMessageFieldsOrder=Y",
        meaning: "Received messages are always read in the order their fields arrived; there is nothing to switch.",
    },
    Ignored {
        name: "RefreshOnLogon",
        suffixes: &[],
        example: "RefreshOnLogon=Y",
        meaning: "QuickFIX reloads a store shared with another process on each Logon; a file store here belongs to one engine.",
    },
    Ignored {
        name: "SendResetSeqNumFlag",
        suffixes: &[],
        example: "SendResetSeqNumFlag=Y",
        meaning: "Defined by QuickFIX but read by none of its code; use ResetOnLogon to send ResetSeqNumFlag(141)=Y.",
    },
    Ignored {
        name: "ScreenLogShowIncoming",
        suffixes: &[],
        example: "ScreenLogShowIncoming=N",
        meaning: "QuickFIX's screen log; the engine logs through the `log` crate and FileLogPath, and `fixctl` always shows what it receives.",
    },
    Ignored {
        name: "ScreenLogShowOutgoing",
        suffixes: &[],
        example: "ScreenLogShowOutgoing=N",
        meaning: "As ScreenLogShowIncoming.",
    },
    Ignored {
        name: "ScreenLogShowEvents",
        suffixes: &[],
        example: "ScreenLogShowEvents=N",
        meaning: "As ScreenLogShowIncoming.",
    },
    Ignored {
        name: "MySQLStore...",
        suffixes: &[DATABASE],
        example: "MySQLStoreHost=db.example.com",
        meaning: "QuickFIX's MySQL store: MySQLStoreUseConnectionPool, MySQLStoreDatabase, MySQLStoreUser, MySQLStorePassword, MySQLStoreHost, MySQLStorePort. There is no database store here; FileStorePath (or memory) is used.",
    },
    Ignored {
        name: "MySQLLog...",
        suffixes: &[DATABASE, TABLES],
        example: "MySQLLogHost=db.example.com",
        meaning: "QuickFIX's MySQL log: MySQLLogUseConnectionPool, MySQLLogDatabase, MySQLLogUser, MySQLLogPassword, MySQLLogHost, MySQLLogPort, MySQLLogIncomingTable, MySQLLogOutgoingTable, MySQLLogEventTable. FileLogPath is the log here.",
    },
    Ignored {
        name: "PostgreSQLStore...",
        suffixes: &[DATABASE],
        example: "PostgreSQLStoreHost=db.example.com",
        meaning: "QuickFIX's PostgreSQL store: the keys of MySQLStore... with the PostgreSQLStore prefix.",
    },
    Ignored {
        name: "PostgreSQLLog...",
        suffixes: &[DATABASE, TABLES],
        example: "PostgreSQLLogHost=db.example.com",
        meaning: "QuickFIX's PostgreSQL log: the keys of MySQLLog... with the PostgreSQLLog prefix.",
    },
    Ignored {
        name: "OdbcStore...",
        suffixes: &[ODBC],
        example: "OdbcStoreUser=fix",
        meaning: "QuickFIX's ODBC store: OdbcStoreUser, OdbcStorePassword, OdbcStoreConnectionString.",
    },
    Ignored {
        name: "OdbcLog...",
        suffixes: &[ODBC, TABLES],
        example: "OdbcLogUser=fix",
        meaning: "QuickFIX's ODBC log: OdbcLogUser, OdbcLogPassword, OdbcLogConnectionString, OdbcLogIncomingTable, OdbcLogOutgoingTable, OdbcLogEventTable.",
    },
];

impl Ignored {
    fn matches(&self, key: &str) -> bool {
        match self.name.strip_suffix("...") {
            Some(prefix) => key
                .strip_prefix(prefix)
                .is_some_and(|suffix| self.suffixes.iter().any(|list| list.contains(&suffix))),
            None => key == self.name,
        }
    }
}

/// Why a QuickFIX key that has no effect here is accepted; `None` for
/// every other key.
pub(crate) fn reason(key: &str) -> Option<&'static str> {
    IGNORED.iter().find(|i| i.matches(key)).map(|i| i.meaning)
}

/// The keys above as one entry of a key table: their rows of the
/// reference. The parser drops them with a warning before any check.
pub(crate) struct IgnoredKeys;

/// The entry for the session layer's table.
pub(crate) static IGNORED_KEYS: IgnoredKeys = IgnoredKeys;

impl KeySpec for IgnoredKeys {
    fn docs(&self) -> Vec<KeyDoc> {
        IGNORED
            .iter()
            .map(|i| KeyDoc {
                name: i.name,
                group: GROUP,
                default: "none",
                meaning: i.meaning,
                example: i.example,
            })
            .collect()
    }

    fn check(&self, entry: &Entry) -> Option<Result<String, SettingsError>> {
        // Only reached for entries made by hand: parsing drops these keys.
        reason(&entry.key).map(|_| Ok(entry.key.clone()))
    }

    fn suggestion(&self, key: &str) -> Option<&'static str> {
        IGNORED
            .iter()
            .map(|i| i.name)
            .find(|name| name.eq_ignore_ascii_case(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_meanings_name_every_key_they_accept() {
        for i in IGNORED {
            let Some(prefix) = i.name.strip_suffix("...") else {
                assert!(i.suffixes.is_empty(), "{}", i.name);
                continue;
            };
            if let Some(other) = i.meaning.split("the keys of ").nth(1) {
                // "the keys of MySQLStore... with the X prefix"
                let model = other.split(' ').next().unwrap_or_default();
                let model = IGNORED.iter().find(|m| m.name == model).expect("model");
                assert_eq!(model.suffixes, i.suffixes, "{}", i.name);
                continue;
            }
            for suffix in i.suffixes.iter().flat_map(|list| list.iter()) {
                assert!(
                    i.meaning.contains(&format!("{prefix}{suffix}")),
                    "{} does not name {prefix}{suffix}",
                    i.name
                );
                assert_eq!(reason(&format!("{prefix}{suffix}")), Some(i.meaning));
            }
        }
    }
}
