//! `course grade DIR...`: every check on every student's checkout, as a table.
//!
//! Each checkout is copied (without `target/` and `.git/`) into a work folder, and
//! the checks themselves (`crates/<lesson>/tests/`, `crates/lesson-testing/`) are
//! taken from the instructor's tree, so that a student who edits a check does not
//! pass it. One target directory serves every student, so only the lessons rebuild.
//! A check that hangs is stopped at the time limit; a lesson that does not build
//! costs its own cells. Neither stops the run.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::course::{Course, Exercise, PROGRESS_FILE, Progress};
use crate::run::{self, Outcome};

#[derive(clap::Args)]
pub struct Options {
    /// Each student's clone of this repository.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Seconds each check may run; past that it counts as "timed out".
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    /// Only these lessons or exercises (chat, chat/nick); may be given several times.
    #[arg(long)]
    only: Vec<String>,
    /// Writes the table to OUT.md and OUT.csv.
    #[arg(long, default_value = "grades")]
    out: PathBuf,
    /// Where the copies and their build go (default: target/grade in this repository).
    #[arg(long)]
    work: Option<PathBuf>,
}

#[derive(Clone, Copy)]
enum Cell {
    Pass,
    Fail,
    TimedOut,
    NoBuild,
}

impl Cell {
    fn label(self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "fail",
            Cell::TimedOut => "timed out",
            Cell::NoBuild => "does not build",
        }
    }
}

pub fn grade(course: &Course, options: &Options) -> Result<ExitCode> {
    let limit = crate::seconds(options.timeout)?;
    let exercises = chosen(course, &options.only)?;
    let work = options
        .work
        .clone()
        .unwrap_or_else(|| course.root.join("target/grade"));
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => work.join("target"),
    };
    let names = student_names(&options.dirs);
    let mut rows = Vec::new();
    for (i, (dir, name)) in options.dirs.iter().zip(&names).enumerate() {
        let copy = work.join("checkouts").join(format!("{i:02}"));
        let cells = match prepare(course, dir, &copy) {
            Ok(()) => grade_one(&copy, &target, name, &exercises, limit)?,
            Err(error) => {
                eprintln!("{name}: {error:#}");
                vec![Cell::NoBuild; exercises.len()]
            }
        };
        rows.push((name.clone(), cells));
    }
    let (markdown, csv) = tables(&exercises, &rows, limit);
    let md_path = options.out.with_extension("md");
    let csv_path = options.out.with_extension("csv");
    fs::write(&md_path, &markdown)
        .with_context(|| format!("cannot write {}", md_path.display()))?;
    fs::write(&csv_path, &csv).with_context(|| format!("cannot write {}", csv_path.display()))?;
    say_part!("{markdown}");
    eprintln!("wrote {} and {}", md_path.display(), csv_path.display());
    Ok(ExitCode::SUCCESS)
}

/// The exercises `--only` names, in course order (all of them without it).
fn chosen(course: &Course, only: &[String]) -> Result<Vec<Exercise>> {
    let mut wanted = Vec::new();
    for name in only {
        if name.contains('/') {
            wanted.push(course.find(name, &Progress::empty())?.full_id());
        } else {
            wanted.extend(course.lesson(name)?.exercises.iter().map(Exercise::full_id));
        }
    }
    Ok(course
        .exercises()
        .filter(|e| wanted.is_empty() || wanted.contains(&e.full_id()))
        .cloned()
        .collect())
}

/// The folder's name, or its whole path where two folders share a name.
fn student_names(dirs: &[PathBuf]) -> Vec<String> {
    // `.` or `alice/` name the folder they point at.
    let short = |d: &PathBuf| {
        let real = d.canonicalize().unwrap_or_else(|_| d.clone());
        real.file_name().map_or(d.display().to_string(), |n| {
            n.to_string_lossy().into_owned()
        })
    };
    dirs.iter()
        .map(|d| {
            let clash = dirs.iter().filter(|o| short(o) == short(d)).count() > 1;
            if clash {
                d.display().to_string()
            } else {
                short(d)
            }
        })
        .collect()
}

/// Copies the student's checkout to `copy`, then puts the instructor's checks in it.
fn prepare(course: &Course, dir: &Path, copy: &Path) -> Result<()> {
    if !dir.join("Cargo.toml").is_file() {
        anyhow::bail!(
            "{} is not a checkout of the course (no Cargo.toml)",
            dir.display()
        );
    }
    if copy.exists() {
        fs::remove_dir_all(copy).with_context(|| format!("cannot empty {}", copy.display()))?;
    }
    copy_tree(dir, copy)?;
    let mut ours = vec![PathBuf::from("crates/lesson-testing")];
    ours.extend(
        course
            .lessons
            .iter()
            .map(|l| Path::new("crates").join(&l.name).join("tests")),
    );
    for part in ours {
        let theirs = copy.join(&part);
        if theirs.exists() {
            fs::remove_dir_all(&theirs)?;
        }
        if course.root.join(&part).is_dir() && theirs.parent().is_some_and(Path::is_dir) {
            copy_tree(&course.root.join(&part), &theirs)?;
        }
    }
    Ok(())
}

/// Copies a folder, leaving out build output, git's data, progress and symbolic links.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name == ".git" || name == PROGRESS_FILE {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            fs::copy(entry.path(), to.join(&name))
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn grade_one(
    copy: &Path,
    target: &Path,
    name: &str,
    exercises: &[Exercise],
    limit: Duration,
) -> Result<Vec<Cell>> {
    let mut cells = Vec::new();
    let mut built: Option<(String, Result<PathBuf, String>)> = None;
    for exercise in exercises {
        if built
            .as_ref()
            .is_none_or(|(lesson, _)| *lesson != exercise.lesson)
        {
            eprintln!("{name}: building {}", exercise.lesson);
            let program = run::build(copy, &exercise.lesson, Some(target), run::BUILD_LIMIT)?;
            built = Some((exercise.lesson.clone(), program));
        }
        let cell = match built.as_ref().map(|(_, program)| program) {
            Some(Ok(program)) => match run::check(copy, program, exercise, limit) {
                Ok(Outcome::Pass) => Cell::Pass,
                Ok(Outcome::TimedOut(_)) => Cell::TimedOut,
                // The check is missing or broken in this copy: not the student's pass.
                Ok(Outcome::Fail(_)) | Err(_) => Cell::Fail,
            },
            _ => Cell::NoBuild,
        };
        eprintln!("{name}: {} {}", exercise.id, cell.label());
        cells.push(cell);
    }
    Ok(cells)
}

fn tables(
    exercises: &[Exercise],
    rows: &[(String, Vec<Cell>)],
    limit: Duration,
) -> (String, String) {
    let passed = |cells: &[Cell]| {
        let n = cells.iter().filter(|c| matches!(c, Cell::Pass)).count();
        format!("{n}/{}", cells.len())
    };
    let mut md = String::from("| student |");
    let mut csv = String::from("student");
    for e in exercises {
        let _ = write!(md, " {} |", e.id);
        let _ = write!(csv, ",{}", e.full_id());
    }
    md.push_str(" passed |\n|---|");
    csv.push_str(",passed\n");
    md.push_str(&"---|".repeat(exercises.len() + 1));
    md.push('\n');
    for (name, cells) in rows {
        let _ = write!(md, "| {} |", name.replace('|', "\\|"));
        csv.push_str(&csv_field(name));
        for cell in cells {
            let _ = write!(md, " {} |", cell.label());
            let _ = write!(csv, ",{}", cell.label());
        }
        let _ = writeln!(md, " {} |", passed(cells));
        let _ = writeln!(csv, ",{}", passed(cells));
    }
    let _ = writeln!(
        md,
        "\nEach check had {} s. \"does not build\": that lesson did not compile in the checkout.",
        limit.as_secs_f64()
    );
    (md, csv)
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
