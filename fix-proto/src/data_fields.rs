//! Length-prefixed data fields of the FIX standard.
//!
//! A field of type `data` (RawData(96), XmlData(213), Signature(89),
//! SecureData(91), EncodedText(355), ...) may contain SOH, so its extent is
//! given by the length field that precedes it. The table below pairs every
//! such length field of FIX 4.0 to 5.0SP2 and FIXT 1.1 with its data field;
//! it was extracted from the QuickFIX data dictionaries in the repository's `spec/`.

use crate::Tag;

/// (length tag, data tag) pairs, sorted by length tag.
pub static STANDARD_DATA_FIELDS: &[(Tag, Tag)] = &[
    (90, 91),
    (93, 89),
    (95, 96),
    (212, 213),
    (348, 349),
    (350, 351),
    (352, 353),
    (354, 355),
    (356, 357),
    (358, 359),
    (360, 361),
    (362, 363),
    (364, 365),
    (445, 446),
    (618, 619),
    (621, 622),
    (1184, 1185),
    (1277, 1278),
    (1280, 1281),
    (1282, 1283),
    (1397, 1398),
    (1401, 1402),
    (1403, 1404),
    (1468, 1469),
    (1525, 1527),
    (1578, 1579),
    (1620, 1621),
    (1664, 1665),
    (1678, 1697),
    (1733, 1734),
    (1871, 1872),
    (1874, 1875),
    (2072, 2073),
    (2074, 2075),
    (2111, 2112),
    (2179, 2180),
    (2287, 2288),
    (2351, 2352),
    (2372, 2371),
    (2481, 2482),
    (2494, 2493),
    (2522, 2521),
    (2637, 2638),
    (2651, 2652),
    (2665, 2666),
    (2715, 2716),
    (2718, 2719),
    (2721, 2722),
    (2797, 2798),
    (2802, 2801),
    (2809, 2808),
    (2815, 2814),
    (40004, 40005),
    (40008, 40009),
    (40978, 40979),
    (40980, 40981),
    (40982, 40983),
    (40984, 40985),
    (40986, 40987),
    (40988, 40989),
    (41083, 41084),
    (41101, 41102),
    (41107, 41108),
    (41256, 41257),
    (41320, 41321),
    (41324, 41325),
    (41458, 41459),
    (41476, 41477),
    (41482, 41483),
    (41653, 41654),
    (41710, 41711),
    (41806, 41807),
    (41811, 41812),
    (41969, 41970),
    (42025, 42026),
    (42171, 42172),
    (42451, 42452),
    (42652, 42653),
    (42947, 42948),
    (43109, 42684),
    (43110, 42486),
    (43111, 42982),
];

/// The data field whose length `len_tag` gives, if `len_tag` is one of the
/// standard length fields.
#[inline]
pub fn standard_data_tag(len_tag: Tag) -> Option<Tag> {
    // Fast reject: every standard length tag is at least 90.
    if len_tag < 90 {
        return None;
    }
    STANDARD_DATA_FIELDS
        .binary_search_by_key(&len_tag, |&(l, _)| l)
        .ok()
        .map(|i| STANDARD_DATA_FIELDS[i].1)
}

/// Whether `tag` is one of the standard data fields (a field whose value
/// may contain SOH because a length field gives its size).
pub fn is_standard_data_tag(tag: Tag) -> bool {
    STANDARD_DATA_FIELDS.iter().any(|&(_, d)| d == tag)
}
