//! Every exercise has a hint in both languages, and no hint gives the solution
//! away. A new exercise needs exercises/<lesson>/<name>.hint.en.md and .hint.zh.md.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use std::process::Command;

use lesson_testing::{WAIT, run};

#[test]
fn every_exercise_has_a_hint_in_english_and_chinese_that_is_not_its_solution() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut list = Command::new(env!("CARGO_BIN_EXE_course"));
    list.current_dir(&root).args(["list", "--names"]);
    let (status, names, err) = run(list, b"", WAIT);
    assert!(status.success(), "{err}");
    let mut problems = Vec::new();
    for id in names.lines() {
        let patch =
            fs::read_to_string(root.join(format!("exercises/{id}.patch"))).unwrap_or_default();
        // The solution's new lines that say something (not a brace or a blank).
        let solution: Vec<&str> = patch
            .lines()
            .filter_map(|l| l.strip_prefix('+'))
            .filter(|l| !l.starts_with("++"))
            .map(str::trim)
            .filter(|l| l.len() > 24)
            .collect();
        for lang in ["en", "zh"] {
            let file = format!("exercises/{id}.hint.{lang}.md");
            match fs::read_to_string(root.join(&file)) {
                Err(_) => problems.push(format!("{file} is missing")),
                Ok(hint) if hint.trim().is_empty() => problems.push(format!("{file} is empty")),
                Ok(hint) => {
                    if let Some(line) = solution.iter().find(|l| hint.contains(*l)) {
                        problems.push(format!("{file} gives away the solution: {line}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "hints:\n{}", problems.join("\n"));
}
