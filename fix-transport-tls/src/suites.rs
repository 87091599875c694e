//! Protocol versions (SSLProtocol) and cipher suites (SSLCipherSuite):
//! turning the names users write into the crypto provider and version list
//! a rustls configuration is built with.
//!
//! Cipher suites are named as rustls does (`TLS13_AES_256_GCM_SHA384`,
//! `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), by their IANA names
//! (`TLS_AES_256_GCM_SHA384`) or by their OpenSSL names
//! (`ECDHE-RSA-AES128-GCM-SHA256`), in any case. Since QuickFIX passes
//! SSLCipherSuite to OpenSSL, its usual cipher strings are understood too:
//! `ALL`, `HIGH` and `DEFAULT` stand for every suite this build has (all of
//! them are strong AEAD suites with forward secrecy), `!NAME` and `-NAME`
//! remove a suite, and exclusions of classes this build never offers
//! (`!aNULL`, `!MD5`, `!RC4`, `!3DES`, `!EXPORT`...) are accepted and have
//! nothing to remove. Any other word is an error rather than silently
//! ignored.

use crate::error::TlsConfigError;
use crate::settings::TlsProtocols;
use rustls::crypto::{ring, CryptoProvider};
use rustls::{SupportedCipherSuite, SupportedProtocolVersion};
use std::sync::Arc;

/// IANA and OpenSSL aliases of the suites, by rustls name.
const ALIASES: &[(&str, &[&str])] = &[
    ("TLS13_AES_256_GCM_SHA384", &["TLS_AES_256_GCM_SHA384"]),
    ("TLS13_AES_128_GCM_SHA256", &["TLS_AES_128_GCM_SHA256"]),
    (
        "TLS13_CHACHA20_POLY1305_SHA256",
        &["TLS_CHACHA20_POLY1305_SHA256"],
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        &["ECDHE-ECDSA-AES256-GCM-SHA384"],
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        &["ECDHE-ECDSA-AES128-GCM-SHA256"],
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        &["ECDHE-ECDSA-CHACHA20-POLY1305"],
    ),
    (
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        &["ECDHE-RSA-AES256-GCM-SHA384"],
    ),
    (
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        &["ECDHE-RSA-AES128-GCM-SHA256"],
    ),
    (
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        &["ECDHE-RSA-CHACHA20-POLY1305"],
    ),
];

/// OpenSSL cipher-string words meaning "every suite".
const ALL_WORDS: &[&str] = &[
    "ALL", "HIGH", "DEFAULT", "FIPS", "SECURE", "TLSV1.2", "TLSV1.3",
];

/// OpenSSL classes this build never offers: excluding them is a no-op.
const NEVER_OFFERED: &[&str] = &[
    "ANULL", "ENULL", "NULL", "ADH", "AECDH", "EXP", "EXPORT", "LOW", "MEDIUM", "MD5", "RC4",
    "RC2", "DES", "3DES", "IDEA", "SEED", "CAMELLIA", "ARIA", "PSK", "SRP", "DSS", "SHA1", "CBC",
    "KRB5", "SSLV2", "SSLV3", "TLSV1", "TLSV1.1", "AESCCM", "AESCCM8", "DH", "EDH", "DHE", "KDHE",
    "ECDH", "KECDH",
];

fn rustls_name(suite: &SupportedCipherSuite) -> String {
    format!("{:?}", suite.suite())
}

/// Whether `word` names `suite` (rustls, IANA or OpenSSL name).
fn names(suite: &SupportedCipherSuite, word: &str) -> bool {
    let own = rustls_name(suite);
    own.eq_ignore_ascii_case(word)
        || ALIASES.iter().any(|(name, aliases)| {
            *name == own && aliases.iter().any(|a| a.eq_ignore_ascii_case(word))
        })
}

/// Chooses the suites named by an SSLCipherSuite list (empty: all of the
/// provider's, in its order).
fn select_suites(
    available: &[SupportedCipherSuite],
    words: &[String],
) -> Result<Vec<SupportedCipherSuite>, TlsConfigError> {
    if words.is_empty() {
        return Ok(available.to_vec());
    }
    let mut chosen: Vec<SupportedCipherSuite> = Vec::new();
    let mut removed: Vec<SupportedCipherSuite> = Vec::new();
    for raw in words.iter().flat_map(|w| w.split([':', ',', ' '])) {
        let word = raw.trim();
        if word.is_empty() {
            continue;
        }
        let (exclude, name) = match word.strip_prefix(['!', '-']) {
            Some(rest) => (true, rest),
            None => (false, word.strip_prefix('+').unwrap_or(word)),
        };
        let upper = name.to_ascii_uppercase();
        let matching: Vec<SupportedCipherSuite> = if ALL_WORDS.contains(&upper.as_str()) {
            available.to_vec()
        } else {
            available
                .iter()
                .filter(|s| names(s, name))
                .copied()
                .collect()
        };
        if matching.is_empty() {
            if exclude && NEVER_OFFERED.contains(&upper.as_str()) {
                continue;
            }
            return Err(TlsConfigError::UnknownCipherSuite(word.to_string()));
        }
        for suite in matching {
            if exclude {
                removed.push(suite);
                chosen.retain(|s| s.suite() != suite.suite());
            } else if !chosen.iter().any(|s| s.suite() == suite.suite())
                && !removed.iter().any(|s| s.suite() == suite.suite())
            {
                chosen.push(suite);
            }
        }
    }
    Ok(chosen)
}

/// The ring crypto provider restricted to the chosen suites, and the
/// protocol versions that keep at least one of them. `tls13_suites`
/// (TLSCipherSuites), when not empty, chooses the TLS 1.3 suites in place
/// of `cipher_suites`, as QuickFIX configures TLS 1.3 suites apart; they
/// come first.
pub(crate) fn provider_and_versions(
    protocols: TlsProtocols,
    cipher_suites: &[String],
    tls13_suites: &[String],
) -> Result<(Arc<CryptoProvider>, Vec<&'static SupportedProtocolVersion>), TlsConfigError> {
    let mut provider = ring::default_provider();
    let mut suites = select_suites(&provider.cipher_suites, cipher_suites)?;
    if !tls13_suites.is_empty() {
        let tls13 = select_suites(&provider.cipher_suites, tls13_suites)?;
        if let Some(old) = tls13
            .iter()
            .find(|s| s.version() != &rustls::version::TLS13)
        {
            return Err(TlsConfigError::NotTls13CipherSuite(rustls_name(old)));
        }
        suites.retain(|s| s.version() != &rustls::version::TLS13);
        suites.splice(0..0, tls13);
    }
    let mut versions = Vec::new();
    let has = |v: &SupportedProtocolVersion| suites.iter().any(|s| s.version() == v);
    if protocols.tls13 && has(&rustls::version::TLS13) {
        versions.push(&rustls::version::TLS13);
    }
    if protocols.tls12 && has(&rustls::version::TLS12) {
        versions.push(&rustls::version::TLS12);
    }
    if versions.is_empty() {
        return Err(TlsConfigError::NoCipherSuite);
    }
    provider.cipher_suites = suites
        .into_iter()
        .filter(|s| versions.contains(&s.version()))
        .collect();
    Ok((Arc::new(provider), versions))
}

/// The names of every cipher suite this build supports, rustls style.
pub fn supported_cipher_suites() -> Vec<String> {
    ring::default_provider()
        .cipher_suites
        .iter()
        .map(rustls_name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    fn chosen(protocols: TlsProtocols, s: &str) -> Result<Vec<String>, TlsConfigError> {
        let (p, _) = provider_and_versions(protocols, &words(s), &[])?;
        Ok(p.cipher_suites.iter().map(rustls_name).collect())
    }

    const BOTH: TlsProtocols = TlsProtocols {
        tls12: true,
        tls13: true,
    };

    #[test]
    fn every_alias_names_a_supported_suite() {
        let supported = supported_cipher_suites();
        assert_eq!(supported.len(), ALIASES.len());
        for (name, aliases) in ALIASES {
            assert!(supported.iter().any(|s| s == name), "{name}");
            for alias in *aliases {
                assert_eq!(chosen(BOTH, alias).expect(alias), [*name]);
            }
        }
    }

    #[test]
    fn names_in_any_style_and_case_select_in_the_given_order() {
        assert_eq!(
            chosen(
                BOTH,
                "ecdhe-rsa-aes128-gcm-sha256:TLS_AES_256_GCM_SHA384,TLS13_CHACHA20_POLY1305_SHA256"
            )
            .expect("suites"),
            [
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS13_AES_256_GCM_SHA384",
                "TLS13_CHACHA20_POLY1305_SHA256"
            ]
        );
    }

    #[test]
    fn openssl_strings_mean_every_suite_minus_exclusions() {
        let all = chosen(BOTH, "HIGH:!aNULL:!MD5:!RC4").expect("suites");
        assert_eq!(all, supported_cipher_suites());
        let some = chosen(BOTH, "ALL:!ECDHE-RSA-CHACHA20-POLY1305").expect("suites");
        assert_eq!(some.len(), all.len() - 1);
        assert!(!some.iter().any(|s| s.contains("RSA_WITH_CHACHA20")));
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(matches!(
            chosen(BOTH, "AES128-SHA"),
            Err(TlsConfigError::UnknownCipherSuite(w)) if w == "AES128-SHA"
        ));
        assert!(matches!(
            chosen(BOTH, "!BOGUS"),
            Err(TlsConfigError::UnknownCipherSuite(_))
        ));
    }

    #[test]
    fn tls_cipher_suites_choose_the_tls13_suites() {
        let (p, v) = provider_and_versions(
            BOTH,
            &words("ECDHE-RSA-AES128-GCM-SHA256:TLS13_AES_256_GCM_SHA384"),
            &words("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"),
        )
        .expect("suites");
        assert_eq!(v, [&rustls::version::TLS13, &rustls::version::TLS12]);
        let names: Vec<String> = p.cipher_suites.iter().map(rustls_name).collect();
        assert_eq!(
            names,
            [
                "TLS13_CHACHA20_POLY1305_SHA256",
                "TLS13_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ],
            "TLSCipherSuites replaces SSLCipherSuite's TLS 1.3 suites"
        );
        assert!(matches!(
            provider_and_versions(BOTH, &[], &words("ECDHE-RSA-AES128-GCM-SHA256")),
            Err(TlsConfigError::NotTls13CipherSuite(name)) if name == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        ));
    }

    #[test]
    fn versions_follow_the_protocols_and_the_suites() {
        let only12 = TlsProtocols {
            tls12: true,
            tls13: false,
        };
        let (p, v) = provider_and_versions(only12, &[], &[]).expect("tls12");
        assert_eq!(v, [&rustls::version::TLS12]);
        assert!(p
            .cipher_suites
            .iter()
            .all(|s| s.version() == &rustls::version::TLS12));
        // Only TLS 1.3 suites named: TLS 1.2 is dropped.
        let (_, v) =
            provider_and_versions(BOTH, &words("TLS13_AES_128_GCM_SHA256"), &[]).expect("13");
        assert_eq!(v, [&rustls::version::TLS13]);
        // TLS 1.2 only, with TLS 1.3 suites only: nothing left.
        assert!(matches!(
            provider_and_versions(only12, &words("TLS13_AES_128_GCM_SHA256"), &[]),
            Err(TlsConfigError::NoCipherSuite)
        ));
    }
}
