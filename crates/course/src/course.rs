//! What the course is made of, found in the tree rather than listed here, so that a
//! new lesson or exercise needs no change to this program:
//!
//! - a lesson is a crate with `crates/<lesson>/tests/exercises.rs`; its number comes
//!   from its chapter, `docs/en/src/lessons/NN-<lesson>.md`;
//! - an exercise is an ignored test in that file; the doc comment above it says what
//!   it expects, starting with its difficulty ("Easy: ...");
//! - its reference solution is `exercises/<lesson>/<name>.patch`, its hints
//!   `exercises/<lesson>/<name>.hint.<lang>.md`;
//! - the learner's progress is one small file at the workspace root.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The progress file, at the workspace root (git ignores it).
pub const PROGRESS_FILE: &str = ".course-progress";

pub struct Course {
    pub root: PathBuf,
    /// In lesson order.
    pub lessons: Vec<Lesson>,
}

pub struct Lesson {
    /// The crate's name, e.g. `tcp-chat`.
    pub name: String,
    /// The name to type, e.g. `chat`: the crate's name without its first word,
    /// unless two lessons would then share it.
    pub short: String,
    /// The chapter number, if the lesson has a chapter yet.
    pub number: Option<u32>,
    pub exercises: Vec<Exercise>,
}

#[derive(Clone)]
pub struct Exercise {
    /// The lesson's crate name.
    pub lesson: String,
    /// How the learner names it: `chat/nick`.
    pub id: String,
    /// The test's name: the check is `exercise::<name>`.
    pub name: String,
    /// "easy", "medium", "harder", ... (empty if the doc comment gives none).
    pub level: String,
    /// What the check expects, from the test's doc comment.
    pub expects: String,
}

impl Exercise {
    /// `tcp-chat/nick`: how progress, the grade's CSV and scripts name it.
    pub fn full_id(&self) -> String {
        format!("{}/{}", self.lesson, self.name)
    }

    pub fn dir(&self, root: &Path) -> PathBuf {
        root.join("exercises").join(&self.lesson)
    }
}

/// The directory at or above `start` that holds the course: a Cargo workspace with
/// `crates/` and `exercises/`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    for dir in start.ancestors() {
        if dir.join("Cargo.toml").is_file() && dir.join("exercises").is_dir() {
            return Ok(dir.to_path_buf());
        }
    }
    bail!(
        "{} is not inside the course (no folder above it has Cargo.toml and exercises/)",
        start.display()
    )
}

impl Course {
    pub fn load(root: &Path) -> Result<Course> {
        let numbers = chapter_numbers(root);
        let mut lessons = Vec::new();
        let crates = root.join("crates");
        let entries =
            fs::read_dir(&crates).with_context(|| format!("cannot read {}", crates.display()))?;
        for entry in entries {
            let dir = entry?.path();
            let checks = dir.join("tests").join("exercises.rs");
            let (Some(name), true) = (dir.file_name(), checks.is_file()) else {
                continue;
            };
            let name = name.to_string_lossy().into_owned();
            let source = fs::read_to_string(&checks)
                .with_context(|| format!("cannot read {}", checks.display()))?;
            lessons.push(Lesson {
                number: numbers.get(&name).copied(),
                short: String::new(),
                exercises: parse_checks(&source)
                    .into_iter()
                    .map(|(test, doc)| Exercise::new(&name, test, &doc))
                    .collect(),
                name,
            });
        }
        // Chapters in order; a lesson without a chapter yet comes last.
        lessons.sort_by(|a, b| {
            (a.number.is_none(), a.number, &a.name).cmp(&(b.number.is_none(), b.number, &b.name))
        });
        give_short_names(&mut lessons);
        Ok(Course {
            root: root.to_path_buf(),
            lessons,
        })
    }

    pub fn exercises(&self) -> impl Iterator<Item = &Exercise> {
        self.lessons.iter().flat_map(|l| &l.exercises)
    }

    /// A lesson by its crate name, short name or chapter number.
    pub fn lesson(&self, name: &str) -> Result<&Lesson> {
        let found = self.lessons.iter().find(|l| {
            l.name == name || l.short == name || l.number.is_some_and(|n| n.to_string() == name)
        });
        found.with_context(|| {
            let names: Vec<&str> = self.lessons.iter().map(|l| l.short.as_str()).collect();
            format!(
                "no lesson called '{name}'; the lessons are {}",
                names.join(", ")
            )
        })
    }

    /// `chat/nick`, `tcp-chat/nick` or `5/nick`; a lesson alone (`chat`) means its
    /// first exercise not done yet.
    pub fn find(&self, wanted: &str, progress: &Progress) -> Result<&Exercise> {
        let Some((lesson, name)) = wanted.split_once('/') else {
            let lesson = self.lesson(wanted)?;
            return lesson
                .exercises
                .iter()
                .find(|e| progress.status(e) != Status::Done)
                .with_context(|| format!("every exercise of {} is done", lesson.name));
        };
        let lesson = self.lesson(lesson)?;
        lesson
            .exercises
            .iter()
            .find(|e| e.name == name)
            .with_context(|| {
                let names: Vec<&str> = lesson.exercises.iter().map(|e| e.name.as_str()).collect();
                format!(
                    "{} has no exercise '{name}'; its exercises are {}",
                    lesson.name,
                    names.join(", ")
                )
            })
    }

    /// The first exercise, in course order, that is not done.
    pub fn next(&self, progress: &Progress) -> Option<&Exercise> {
        self.exercises()
            .find(|e| progress.status(e) != Status::Done)
    }
}

impl Exercise {
    fn new(lesson: &str, name: String, doc: &str) -> Exercise {
        // "Easy: `--upper` answers in capitals." -> ("easy", "`--upper` answers ...")
        let (level, expects) = match doc.split_once(':') {
            Some((word, rest)) if !word.is_empty() && word.chars().all(char::is_alphabetic) => {
                (word.to_lowercase(), rest.trim().to_string())
            }
            _ => (String::new(), doc.to_string()),
        };
        Exercise {
            lesson: lesson.to_string(),
            id: String::new(),
            name,
            level,
            expects,
        }
    }
}

/// The ignored tests of an exercises.rs, with their doc comments joined in one line.
/// A plain reading of the source is enough: the checks are written one way, and
/// scripts/check-exercises.sh compares this list with the compiled test's own.
pub fn parse_checks(source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let (mut doc, mut test, mut ignored) = (Vec::new(), false, false);
    for line in source.lines().map(str::trim) {
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim());
        } else if line.starts_with("#[test]") {
            test = true;
        } else if line.starts_with("#[ignore") {
            ignored = true;
        } else if line.starts_with("#[") {
            // Another attribute: the doc comment still belongs to what follows.
        } else {
            let signature = line.strip_prefix("pub ").unwrap_or(line);
            if let (Some(rest), true) = (signature.strip_prefix("fn "), test && ignored) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((name, doc.join(" ")));
            }
            (doc, test, ignored) = (Vec::new(), false, false);
        }
    }
    found
}

/// Chapter numbers by lesson, from docs/en/src/lessons/NN-<lesson>.md.
fn chapter_numbers(root: &Path) -> BTreeMap<String, u32> {
    let dir = root.join("docs/en/src/lessons");
    let mut numbers = BTreeMap::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = file.strip_suffix(".md") else {
            continue;
        };
        if let Some((number, lesson)) = stem.split_once('-')
            && let Ok(number) = number.parse()
        {
            numbers.insert(lesson.to_string(), number);
        }
    }
    numbers
}

/// `tcp-chat` -> `chat`, `udp-echo` -> `echo`, unless two lessons would share a name.
fn give_short_names(lessons: &mut [Lesson]) {
    let shorten = |name: &str| match name.split_once('-') {
        Some((_, rest)) => rest.to_string(),
        None => name.to_string(),
    };
    let wanted: Vec<String> = lessons.iter().map(|l| shorten(&l.name)).collect();
    for (i, lesson) in lessons.iter_mut().enumerate() {
        let clash = wanted
            .iter()
            .enumerate()
            .any(|(j, w)| j != i && *w == wanted[i]);
        lesson.short = if clash {
            lesson.name.clone()
        } else {
            wanted[i].clone()
        };
        for exercise in &mut lesson.exercises {
            exercise.id = format!("{}/{}", lesson.short, exercise.name);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Done,
    Failing,
    NotStarted,
}

/// The result of the last check of each exercise, kept in [`PROGRESS_FILE`] as lines
/// like `tcp-chat/nick pass`.
pub struct Progress {
    path: PathBuf,
    last: BTreeMap<String, bool>,
}

impl Progress {
    pub fn load(root: &Path) -> Progress {
        let path = root.join(PROGRESS_FILE);
        let text = fs::read_to_string(&path).unwrap_or_default();
        let last = text
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(id, result)| (id.to_string(), result.trim() == "pass"))
            .collect();
        Progress { path, last }
    }

    /// No exercise checked yet.
    pub fn empty() -> Progress {
        Progress {
            path: PathBuf::new(),
            last: BTreeMap::new(),
        }
    }

    pub fn status(&self, exercise: &Exercise) -> Status {
        match self.last.get(&exercise.full_id()) {
            Some(true) => Status::Done,
            Some(false) => Status::Failing,
            None => Status::NotStarted,
        }
    }

    /// Records a check's result (`None` forgets the exercise) and saves the file.
    pub fn record(&mut self, exercise: &Exercise, passed: Option<bool>) -> Result<()> {
        match passed {
            Some(passed) => self.last.insert(exercise.full_id(), passed),
            None => self.last.remove(&exercise.full_id()),
        };
        let mut text = String::from(
            "# course progress: the last check of each exercise. Delete this file to start over.\n",
        );
        for (id, passed) in &self.last {
            text.push_str(&format!("{id} {}\n", if *passed { "pass" } else { "fail" }));
        }
        fs::write(&self.path, text)
            .with_context(|| format!("cannot save progress to {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ignored_tests_and_their_doc_comments() {
        let source = r#"
mod exercise {
    /// A helper, not a check.
    fn helper() {}

    /// Easy: says hello
    /// twice.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn hello() {}

    #[test]
    fn not_an_exercise() {}

    /// Harder: no difficulty-less doc.
    #[test]
    #[ignore]
    pub fn round_trip_2() {}
}"#;
        let checks = parse_checks(source);
        assert_eq!(
            checks,
            [
                ("hello".to_string(), "Easy: says hello twice.".to_string()),
                (
                    "round_trip_2".to_string(),
                    "Harder: no difficulty-less doc.".to_string()
                ),
            ]
        );
        let e = Exercise::new("udp-sender", checks[0].0.clone(), &checks[0].1);
        assert_eq!(
            (e.level.as_str(), e.expects.as_str()),
            ("easy", "says hello twice.")
        );
    }

    #[test]
    fn short_names_drop_the_first_word_unless_they_clash() {
        let lesson = |name: &str| Lesson {
            name: name.into(),
            short: String::new(),
            number: None,
            exercises: Vec::new(),
        };
        let mut lessons = vec![
            lesson("tcp-chat"),
            lesson("udp-echo"),
            lesson("tcp-echo"),
            lesson("solo"),
        ];
        give_short_names(&mut lessons);
        let shorts: Vec<&str> = lessons.iter().map(|l| l.short.as_str()).collect();
        assert_eq!(shorts, ["chat", "udp-echo", "tcp-echo", "solo"]);
    }
}
