//! The README's performance section is what `perf-report` prints: the same
//! header line and table rows, apart from the numbers and the CPU model.
//! `perf-report --smoke` runs every measurement with tiny counts, so this
//! also checks that the whole report runs.

use fixrs_benches::report::{report_lines, shape};
use std::process::Command;

/// The README's "## Performance" section, up to the next `## ` heading.
fn readme_performance_section() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let start = readme
        .find("\n## Performance\n")
        .expect("the README has a Performance section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

#[test]
fn the_readme_performance_section_has_the_lines_perf_report_prints() {
    let output = Command::new(env!("CARGO_BIN_EXE_perf-report"))
        .arg("--smoke")
        .output()
        .expect("perf-report runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "perf-report failed:\n{stderr}");
    let report = String::from_utf8(output.stdout).expect("UTF-8 report");
    let printed: Vec<String> = report_lines(&report).into_iter().map(shape).collect();
    assert!(
        printed.len() > 30 && printed[0].starts_with("Measured "),
        "{report}"
    );

    let section = readme_performance_section();
    let in_readme: Vec<String> = report_lines(&section).into_iter().map(shape).collect();
    for (i, (readme, printed)) in in_readme.iter().zip(&printed).enumerate() {
        assert_eq!(
            readme,
            printed,
            "line {} of the README's performance tables differs from perf-report's output \
             (regenerate them with `cargo run --release -p fixrs-benches --bin perf-report`)",
            i + 1
        );
    }
    assert_eq!(
        in_readme.len(),
        printed.len(),
        "the README's performance section has {} table lines, perf-report prints {}:\n{report}",
        in_readme.len(),
        printed.len()
    );
}
