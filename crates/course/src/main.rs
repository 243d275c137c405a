//! `course`: the lessons' exercises as a course. Learners list, check, get hints,
//! watch and see solutions; instructors grade a class. It is not a lesson: it runs
//! the checks in `crates/<lesson>/tests/exercises.rs` the way `cargo test` would.
//!
//! ```text
//! alias course='cargo run -q -p course --'
//! course list            course check chat/nick     course hint chat/nick
//! course watch           course solution chat/nick  course reset chat/nick
//! course grade ../students/*
//! ```

/// `println!` that ends the program quietly when stdout is a closed pipe
/// (`course list | head -3`), where `println!` would panic.
macro_rules! say {
    ($($arg:tt)*) => { $crate::write_out(&format!("{}\n", format_args!($($arg)*))) };
}

/// The same without a newline.
macro_rules! say_part {
    ($($arg:tt)*) => { $crate::write_out(&format!($($arg)*)) };
}

mod course;
mod grade;
mod run;
mod watch;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use course::{Course, Exercise, Progress, Status};
use run::Outcome;

/// The exercises of the socket lessons, as a course.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Every lesson and its exercises: done, failing or not started.
    List {
        /// Only the exercises' full names (lesson/exercise), one a line, for scripts.
        #[arg(long)]
        names: bool,
    },
    /// Runs one exercise's check (default: the next one not done) and says what it expects.
    Check {
        /// lesson/exercise, e.g. chat/nick; a lesson alone means its next exercise.
        exercise: Option<String>,
        /// Seconds the check may run before it counts as hung.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
        /// Do not record the result in the progress file (for scripts).
        #[arg(long)]
        no_record: bool,
    },
    /// A hint for an exercise (never its solution).
    Hint {
        exercise: Option<String>,
        /// en or zh; the default follows LC_ALL, LC_MESSAGES or LANG.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Re-runs the current exercise's check each time a file of its lesson is saved.
    Watch {
        /// lesson/exercise to start with (default: the next one not done).
        exercise: Option<String>,
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
    },
    /// The reference solution, once the exercise's check has passed.
    Solution {
        exercise: String,
        /// Show it even though the check has not passed.
        #[arg(long)]
        force: bool,
    },
    /// Puts back, as shipped, the files the exercise's solution touches (asks first).
    Reset {
        exercise: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// For instructors: runs every check on each student's clone of this repository.
    Grade(grade::Options),
}

fn main() -> ExitCode {
    let args = Args::parse();
    run::stop_on_ctrl_c();
    match dispatch(args.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("course: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Cmd) -> Result<ExitCode> {
    let root = course::find_root(&std::env::current_dir()?)?;
    let course = Course::load(&root)?;
    let mut progress = Progress::load(&root);
    let pick = |wanted: &Option<String>, progress: &Progress| -> Result<Exercise> {
        match wanted {
            Some(wanted) => course.find(wanted, progress).cloned(),
            None => match course.next(progress) {
                Some(next) => Ok(next.clone()),
                None => bail!("every exercise is done; name one to run it again"),
            },
        }
    };
    match command {
        Cmd::List { names } => list(&course, &progress, names),
        Cmd::Check {
            exercise,
            timeout,
            no_record,
        } => {
            let exercise = pick(&exercise, &progress)?;
            let passed = check(&course, &exercise, seconds(timeout)?)?;
            if let (Some(passed), false) = (passed, no_record) {
                progress.record(&exercise, Some(passed))?;
                if passed && let Some(next) = course.next(&progress) {
                    say!("Next: {}   (course hint {0}, course check {0})", next.id);
                }
            }
            Ok(match passed {
                Some(true) => ExitCode::SUCCESS,
                Some(false) => ExitCode::from(1),
                None => ExitCode::from(2),
            })
        }
        Cmd::Hint { exercise, lang } => hint(&course, &pick(&exercise, &progress)?, lang),
        Cmd::Watch { exercise, timeout } => {
            let first = pick(&exercise, &progress)?;
            watch::watch(&course, &mut progress, first, seconds(timeout)?)
        }
        Cmd::Solution { exercise, force } => {
            let exercise = course.find(&exercise, &progress)?;
            if progress.status(exercise) != Status::Done {
                if !force {
                    eprintln!(
                        "course: {0} has not passed its check yet; run `course check {0}` first \
                         (or `course solution --force {0}` to see it anyway)",
                        exercise.id
                    );
                    return Ok(ExitCode::from(1));
                }
                eprintln!(
                    "(--force: showing the solution of {} before its check passed)",
                    exercise.id
                );
            }
            let patch = solution_path(&course, exercise);
            say_part!(
                "{}",
                std::fs::read_to_string(&patch).with_context(|| no_solution(&patch))?
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Reset { exercise, yes } => reset(&course, &mut progress, &exercise, yes),
        Cmd::Grade(options) => grade::grade(&course, &options),
    }
}

pub fn write_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("course: cannot write to stdout: {error}");
        std::process::exit(2);
    }
}

fn seconds(value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("--timeout {value}: not a number of seconds"))
}

/// Colour only for a terminal, and never when NO_COLOR is set.
pub fn paint(code: &str, text: &str) -> String {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

const GREEN: &str = "32";
const RED: &str = "31";
const DIM: &str = "2";
const BOLD: &str = "1";

fn list(course: &Course, progress: &Progress, names: bool) -> Result<ExitCode> {
    if names {
        for exercise in course.exercises() {
            say!("{}", exercise.full_id());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let width = course.exercises().map(|e| e.name.len()).max().unwrap_or(0);
    for lesson in &course.lessons {
        let number = lesson.number.map_or("-".to_string(), |n| n.to_string());
        say!(
            "{}",
            paint(
                BOLD,
                &format!("{number}. {} ({})", lesson.name, lesson.short)
            )
        );
        for e in &lesson.exercises {
            let (mark, state) = match progress.status(e) {
                Status::Done => (paint(GREEN, "✓"), paint(GREEN, "done")),
                Status::Failing => (paint(RED, "✗"), paint(RED, "not passing yet")),
                Status::NotStarted => (paint(DIM, "·"), paint(DIM, "not started")),
            };
            say!("  {mark} {:width$}  {:8} {state}", e.name, e.level);
        }
    }
    let total = course.exercises().count();
    let done = course
        .exercises()
        .filter(|e| progress.status(e) == Status::Done)
        .count();
    match course.next(progress) {
        Some(next) => say!("\n{done}/{total} done. Next: course check {}", next.id),
        None => say!("\n{done}/{total} done. Every exercise is done."),
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the check and tells the learner the result in words.
/// `Some(passed)`, or `None` when the lesson does not build.
pub fn check(course: &Course, exercise: &Exercise, limit: Duration) -> Result<Option<bool>> {
    say!(
        "{} {}: {}",
        paint(BOLD, &exercise.id),
        level(exercise),
        exercise.expects
    );
    let program = match run::build(&course.root, &exercise.lesson, None, run::BUILD_LIMIT)? {
        Ok(program) => program,
        Err(errors) => {
            say!("{errors}");
            say!(
                "{} {} does not build: fix the errors above, then check again.",
                paint(RED, "✗"),
                exercise.lesson
            );
            return Ok(None);
        }
    };
    let passed = match run::check(&course.root, &program, exercise, limit)? {
        Outcome::Pass => {
            say!("{} {} passes. Well done!", paint(GREEN, "✓"), exercise.id);
            true
        }
        Outcome::Fail(words) => {
            say!(
                "{} {} does not pass yet. The check says:",
                paint(RED, "✗"),
                exercise.id
            );
            for line in words.lines() {
                say!("    {line}");
            }
            say!("Stuck? course hint {}", exercise.id);
            false
        }
        Outcome::TimedOut(limit) => {
            say!(
                "{} {} did not finish in {} s: something waits for what never comes \
                 (a read without a timeout, a reply never sent?).",
                paint(RED, "✗"),
                exercise.id,
                limit.as_secs_f64()
            );
            false
        }
    };
    Ok(Some(passed))
}

fn level(exercise: &Exercise) -> String {
    if exercise.level.is_empty() {
        String::new()
    } else {
        format!("({})", exercise.level)
    }
}

/// en or zh, from --lang or else the locale.
fn language(lang: Option<String>) -> Result<&'static str> {
    let lang = lang.or_else(|| {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
    });
    match lang.as_deref() {
        Some(l) if l.starts_with("zh") => Ok("zh"),
        Some("en") | None => Ok("en"),
        Some(l) if l.contains('_') || l.contains('.') || l == "C" || l == "POSIX" => Ok("en"),
        Some(other) => bail!("--lang {other}: the hints are in en (English) and zh (中文)"),
    }
}

pub fn hint_path(course: &Course, exercise: &Exercise, lang: &str) -> PathBuf {
    exercise
        .dir(&course.root)
        .join(format!("{}.hint.{lang}.md", exercise.name))
}

fn solution_path(course: &Course, exercise: &Exercise) -> PathBuf {
    exercise
        .dir(&course.root)
        .join(format!("{}.patch", exercise.name))
}

fn no_solution(patch: &std::path::Path) -> String {
    format!(
        "this exercise has no reference solution ({} is missing)",
        patch.display()
    )
}

fn hint(course: &Course, exercise: &Exercise, lang: Option<String>) -> Result<ExitCode> {
    let lang = language(lang)?;
    let path = hint_path(course, exercise, lang);
    let Ok(text) = std::fs::read_to_string(&path) else {
        let other = if lang == "zh" { "en" } else { "zh" };
        let also = if hint_path(course, exercise, other).is_file() {
            format!("; there is one with --lang {other}")
        } else {
            String::new()
        };
        bail!(
            "no hint written for {} in {lang} yet ({} is missing){also}",
            exercise.id,
            path.display()
        );
    };
    say!(
        "{} {}: {}\n",
        paint(BOLD, &exercise.id),
        level(exercise),
        exercise.expects
    );
    say_part!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The files a patch changes, each with whether the patch creates it
/// (`--- /dev/null`, then `+++ b/new.rs`).
fn patched_files(patch: &str) -> Vec<(String, bool)> {
    let mut files = Vec::new();
    let (mut old, mut in_head) = ("", false);
    for line in patch.lines() {
        // Only a file's head names files; in a hunk, "--- x" is a removed "-- x".
        if line.starts_with("diff --git ") {
            in_head = true;
        } else if line.starts_with("@@") {
            in_head = false;
        } else if let (Some(path), true) = (line.strip_prefix("--- "), in_head) {
            old = path.trim_end();
        } else if let (Some(new), true) = (line.strip_prefix("+++ "), in_head) {
            let new = new.trim_end();
            let path = if new == "/dev/null" { old } else { new };
            let path = path
                .strip_prefix("a/")
                .or(path.strip_prefix("b/"))
                .unwrap_or(path);
            files.push((path.to_string(), old == "/dev/null"));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// Runs git at the course's root: its output if it succeeded.
fn git(course: &Course, args: &[&str]) -> Result<Option<String>> {
    let output = Command::new("git")
        .current_dir(&course.root)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run git")?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok(output.status.success().then_some(text))
}

fn reset(course: &Course, progress: &mut Progress, wanted: &str, yes: bool) -> Result<ExitCode> {
    let exercise = course.find(wanted, progress)?;
    let patch = solution_path(course, exercise);
    let files =
        patched_files(&std::fs::read_to_string(&patch).with_context(|| no_solution(&patch))?);
    // As shipped: the branch this clone follows (origin/main), so that work the
    // learner committed is undone too; without one, the last commit.
    if git(course, &["rev-parse", "--verify", "-q", "HEAD"])?.is_none() {
        bail!(
            "reset needs git, and {} is not a git clone; nothing changed",
            course.root.display()
        );
    }
    let upstream = git(course, &["rev-parse", "--abbrev-ref", "@{upstream}"])?;
    let shipped = upstream.as_deref().unwrap_or("HEAD");
    // Every file the solution changes (rather than creates) must be there to restore,
    // before anything is touched: otherwise this is not the course's own clone.
    for (file, created) in &files {
        let in_shipped = git(course, &["cat-file", "-e", &format!("{shipped}:./{file}")])?;
        if !created && in_shipped.is_none() {
            bail!(
                "{file} is not in {shipped} (is this folder the course's git clone?); nothing changed"
            );
        }
    }
    say!("This puts back these files as they are in {shipped}, losing your changes to them:");
    for (file, _) in &files {
        say!("    {file}");
    }
    if !yes {
        say_part!("Reset {}? [y/N] ", exercise.id);
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            say!("Nothing changed.");
            return Ok(ExitCode::from(1));
        }
    }
    for (file, created) in &files {
        if !created {
            if git(course, &["checkout", shipped, "--", file])?.is_none() {
                bail!("git could not restore {file}");
            }
        } else if course.root.join(file).exists() {
            // As shipped, a file the solution creates does not exist.
            std::fs::remove_file(course.root.join(file))
                .with_context(|| format!("cannot remove {file}"))?;
        }
    }
    progress.record(exercise, None)?;
    say!("{} is as shipped again.", exercise.id);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_names_its_files() {
        let patch = "diff --git a/crates/x/src/main.rs b/crates/x/src/main.rs\n--- a/crates/x/src/main.rs\n\
                     +++ b/crates/x/src/main.rs\n@@ -1 +1 @@\n--- a\n+++ b\n\
                     diff --git a/crates/x/src/new.rs b/crates/x/src/new.rs\n--- /dev/null\n+++ b/crates/x/src/new.rs\n";
        let files = [
            ("crates/x/src/main.rs".to_string(), false),
            ("crates/x/src/new.rs".to_string(), true),
        ];
        assert_eq!(patched_files(patch), files);
    }

    #[test]
    fn the_language_follows_the_flag_then_the_locale() {
        assert_eq!(language(Some("zh".into())).ok(), Some("zh"));
        assert_eq!(language(Some("zh_CN.UTF-8".into())).ok(), Some("zh"));
        assert_eq!(language(Some("en_GB.UTF-8".into())).ok(), Some("en"));
        assert!(language(Some("fr".into())).is_err());
    }
}
