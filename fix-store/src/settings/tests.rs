use super::*;
use fixrs_session::settings::{testing, KeyDoc, Settings, KEYS as SESSION_KEYS};

/// The store settings of each session of `text`, every key of the file
/// checked against the session's and the store's tables.
fn read(text: &str) -> Result<Vec<StoreSettings>, SettingsError> {
    let settings = Settings::parse(text)?;
    settings.check_keys(&[SESSION_KEYS, KEYS])?;
    settings
        .sessions
        .iter()
        .map(StoreSettings::from_settings)
        .collect()
}

/// A valid file up to the key's lines.
fn session(_: &KeyDoc) -> String {
    "[DEFAULT]\nConnectionType=initiator\n[SESSION]\n".to_string()
}

#[test]
fn every_documented_key_is_accepted_with_its_example() {
    testing::check_examples(&[KEYS], session, |text| {
        read(text).map_err(|e| e.to_string())
    });
}

#[test]
fn reference_matches_the_key_table() {
    testing::check_reference(&[KEYS], env!("CARGO_MANIFEST_DIR"), "fixrs-store");
}

#[test]
fn documented_defaults_are_the_built_in_defaults() {
    testing::check_defaults(&[KEYS], session, |text| {
        read(text).map_err(|e| e.to_string())
    });
}

#[test]
fn store_keys_with_default_inheritance() {
    let text = "[DEFAULT]\nFileStorePath=store\nFileStoreSync=250\nFileStoreMaxMessages=1000000\n\
                [SESSION]\n[SESSION]\nFileStoreSync=Y\n[SESSION]\nFileStoreSync=N\nFileStorePath=\n";
    let stores = read(text).expect("valid");
    assert_eq!(
        stores[0],
        StoreSettings {
            file_store_path: Some("store".into()),
            durability: Durability::FsyncEvery(Duration::from_millis(250)),
            max_messages: Some(1_000_000),
        }
    );
    assert_eq!(stores[1].durability, Durability::Fsync);
    assert_eq!(stores[2].durability, Durability::Flush);
    assert_eq!(stores[2].file_store_path, None, "an empty value clears it");

    let absent = read("[SESSION]\nFileStoreMaxMessages=0\n").expect("valid");
    assert_eq!(absent[0], StoreSettings::default(), "0 keeps every message");
}

#[test]
fn options_take_the_durability_and_the_history_limit() {
    let settings = StoreSettings {
        file_store_path: Some("store".into()),
        durability: Durability::Fsync,
        max_messages: Some(10),
    };
    let base = FileStoreOptions::default().with_segment_bytes(1 << 20);
    let options = settings.options(base);
    assert_eq!(options.durability, Durability::Fsync);
    assert_eq!(options.history.max_messages, Some(10));
    assert_eq!(options.segment_bytes, 1 << 20);
    let unlimited = StoreSettings::default().options(base);
    assert_eq!(unlimited.durability, Durability::Flush);
    assert!(unlimited.history.is_unlimited());
}

#[test]
fn bad_values_name_line_and_key() {
    for (line, expected) in [
        (
            "FileStoreSync=0",
            "Y, N, or a positive number of milliseconds",
        ),
        (
            "FileStoreSync=sometimes",
            "Y, N, or a positive number of milliseconds",
        ),
        ("FileStoreMaxMessages=-1", "a whole number"),
    ] {
        let e = read(&format!("[SESSION]\n# comment\n{line}\n")).expect_err(line);
        let (key, value) = line.split_once('=').unwrap_or_default();
        assert_eq!(
            e,
            SettingsError::BadValue {
                line: 3,
                key: key.into(),
                value: value.into(),
                expected: expected.into()
            },
            "{line}"
        );
    }
}
