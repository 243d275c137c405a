//! Runs the real `course` binary on scratch copies of this repository (the files git
//! would ship, copied under target/tmp), so that the learner's own tree and progress
//! are never touched. Lessons build in target/exercises, the target directory
//! scripts/check-exercises.sh uses too, so their dependencies build once.
//!
//! The exercise used is the course's first one whose solution applies, whatever it
//! is called: the lessons' exercises change, and this program finds them in the tree.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use lesson_testing::{Program, WAIT, run};

const COURSE: &str = env!("CARGO_BIN_EXE_course");
/// Long enough to build a lesson and its dependencies on a slow machine.
const BUILD: Duration = Duration::from_secs(600);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A fresh copy of what git holds (tracked files, and new ones it does not ignore),
/// as a git repository of its own with one commit, so `course reset` has a shipped state.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("course-{name}"));
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    let root = workspace();
    let listed = Command::new("git")
        .current_dir(&root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .unwrap();
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let file = String::from_utf8_lossy(file).into_owned();
        if root.join(&file).is_file() {
            fs::create_dir_all(dir.join(&file).parent().unwrap()).unwrap();
            fs::copy(root.join(&file), dir.join(&file)).unwrap();
        }
    }
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(
        &dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "shipped",
        ],
    );
    dir
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new("git");
    command.current_dir(dir).args(args);
    let (status, stdout, stderr) = run(command, b"", WAIT);
    assert!(status.success(), "git {args:?} failed: {stderr}");
    stdout
}

fn course(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(COURSE);
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../exercises");
    command
        .current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target);
    command
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8");
    command
}

/// The tests that build take turns: copies of one lesson share a target directory,
/// where cargo keeps the lesson's program under one name (`CARGO_BIN_EXE_<lesson>`),
/// so two copies built at once would run each other's program.
static BUILDING: Mutex<()> = Mutex::new(());

fn building() -> MutexGuard<'static, ()> {
    BUILDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs course to its end: exit code, stdout, stderr.
fn run_course(dir: &Path, args: &[&str], timeout: Duration) -> (i32, String, String) {
    let (status, stdout, stderr) = run(course(dir, args), b"", timeout);
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// Every exercise as `lesson/name`, in course order, from the patches' side of
/// the tree: exercises/<lesson>/<name>.patch.
fn patches(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for lesson in fs::read_dir(root.join("exercises")).unwrap() {
        let lesson = lesson.unwrap().path();
        for file in fs::read_dir(&lesson).unwrap() {
            let file = file.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".patch") {
                let lesson = lesson.file_name().unwrap().to_string_lossy();
                names.push(format!("{lesson}/{name}"));
            }
        }
    }
    names.sort();
    names
}

/// The course's first exercise (`lesson/name`) whose reference solution applies
/// to the tree (while a lesson is being rewritten its patches may lag), and its lesson.
fn first_exercise(dir: &Path) -> (String, String) {
    let (code, names, _) = run_course(dir, &["list", "--names"], WAIT);
    assert_eq!(code, 0);
    let applies = |id: &&str| {
        let mut command = Command::new("git");
        command
            .current_dir(dir)
            .args(["apply", "--check", &format!("exercises/{id}.patch")]);
        run(command, b"", WAIT).0.success()
    };
    let first = names
        .lines()
        .find(applies)
        .expect("an exercise whose solution applies");
    let lesson = first.split('/').next().unwrap().to_string();
    (first.to_string(), lesson)
}

#[test]
fn list_on_a_fresh_tree_shows_every_exercise_not_started() {
    let dir = scratch("list");
    let (code, out, err) = run_course(&dir, &["list"], WAIT);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\x1b'), "no colour when piped:\n{out}");
    let expected = patches(&dir);
    for id in &expected {
        let name = id.split('/').nth(1).unwrap();
        assert!(
            out.lines()
                .any(|l| l.contains(name) && l.contains("not started")),
            "{id} missing from:\n{out}"
        );
    }
    assert!(
        out.contains(&format!("0/{} done. Next: course check ", expected.len())),
        "{out}"
    );

    // A closed pipe (`course list | head -1`) ends it quietly instead of a panic;
    // here the pipe is closed before course writes at all.
    let mut child = course(&dir, &["list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr_pipe = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stderr = String::new();
        let _ = stderr_pipe.read_to_string(&mut stderr);
        let _ = tx.send((child.wait().unwrap(), stderr));
    });
    let (status, stderr) = rx.recv_timeout(WAIT).expect("course list ends");
    assert!(status.success(), "exit 0 on a closed pipe: {stderr}");
    assert_eq!(stderr, "", "nothing on stderr");

    let (_, names, _) = run_course(&dir, &["list", "--names"], WAIT);
    let mut names: Vec<String> = names.lines().map(String::from).collect();
    names.sort();
    assert_eq!(
        names, expected,
        "every check has a solution and every solution a check"
    );
}

#[test]
fn wrong_names_and_early_solutions_are_refused_in_words() {
    let dir = scratch("refusals");
    let (first, _) = first_exercise(&dir);
    let (code, _, err) = run_course(&dir, &["check", "nosuchlesson/x"], WAIT);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("course: no lesson called 'nosuchlesson'; the lessons are "),
        "{err}"
    );
    let lesson = first.split('/').next().unwrap();
    let (code, _, err) = run_course(&dir, &["hint", &format!("{lesson}/nosuch")], WAIT);
    assert_eq!(code, 2);
    assert!(
        err.contains("has no exercise 'nosuch'; its exercises are "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let (code, out, err) = run_course(&dir, &["solution", &first], WAIT);
    assert_eq!(
        (code, out.as_str()),
        (1, ""),
        "no solution before the check passes"
    );
    assert!(err.contains("has not passed its check yet"), "{err}");
    let (code, out, err) = run_course(&dir, &["solution", "--force", &first], WAIT);
    assert_eq!(code, 0);
    assert!(err.contains("--force"), "--force says so: {err}");
    assert!(out.starts_with("diff --git"), "{out}");

    // `hint` alone is about the next exercise not done: the course's first. The
    // language follows the locale.
    let (_, names, _) = run_course(&dir, &["list", "--names"], WAIT);
    let next = names.lines().next().unwrap();
    let mut command = course(&dir, &["hint"]);
    command.env("LANG", "zh_CN.UTF-8");
    let (status, out, err) = run(command, b"", WAIT);
    assert!(status.success(), "{err}");
    let zh = fs::read_to_string(dir.join(format!("exercises/{next}.hint.zh.md"))).unwrap();
    let name = next.split('/').nth(1).unwrap();
    assert!(
        out.lines().next().unwrap().contains(&format!("/{name} ")),
        "{out}"
    );
    assert!(out.ends_with(&zh), "{out}");

    fs::remove_file(dir.join(format!("exercises/{first}.hint.zh.md"))).unwrap();
    let (code, _, err) = run_course(&dir, &["hint", "--lang", "zh", &first], WAIT);
    assert_eq!(code, 2);
    assert!(
        err.contains("no hint written for") && err.contains("--lang en"),
        "{err}"
    );

    // Outside the course's git clone (here: a copy inside another repository, this
    // one), reset cannot tell what was shipped, and touches nothing.
    fs::remove_dir_all(dir.join(".git")).unwrap();
    let patch = fs::read_to_string(dir.join(format!("exercises/{first}.patch"))).unwrap();
    let touched: Vec<&str> = patch
        .lines()
        .filter_map(|l| l.strip_prefix("--- a/"))
        .collect();
    assert!(!touched.is_empty(), "{first}.patch changes files");
    let (code, _, err) = run_course(&dir, &["reset", "--yes", &first], WAIT);
    assert_eq!(code, 2);
    assert!(err.ends_with("; nothing changed\n"), "{err}");
    for file in touched {
        assert!(dir.join(file).is_file(), "reset removed {file}");
    }
}

#[test]
#[ignore = "builds a lesson three times in a scratch copy (about a minute)"]
fn check_watch_solution_reset_as_a_learner_would() {
    let _turn = building();
    let dir = scratch("learner");
    let (first, lesson) = first_exercise(&dir);

    // As shipped, the check fails, and says so in words.
    let (code, out, err) = run_course(&dir, &["check", &first], BUILD);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("does not pass yet. The check says:"), "{out}");
    let (_, list, _) = run_course(&dir, &["list"], WAIT);
    let name = first.split('/').nth(1).unwrap();
    assert!(
        list.lines().any(|l| l.contains(&format!("✗ {name} "))),
        "{list}"
    );

    // watch: a saved file is noticed within a second, and checked.
    let mut watch = Program::spawn(course(&dir, &["watch", &first]));
    let watching = watch.wait_for(|l| l.starts_with("Watching "));
    watch.wait_for(|l| l.starts_with("Save a file to run its check"));
    let source = fs::read_dir(dir.join("crates").join(&lesson).join("src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "rs"))
        .unwrap();
    let saved = Instant::now();
    fs::write(&source, fs::read(&source).unwrap()).unwrap();
    let line = watch.next_line(Duration::from_secs(1));
    assert!(
        line.as_deref()
            .is_some_and(|l| l.starts_with("saved crates/")),
        "no notice within a second of saving, got {line:?}"
    );
    assert!(saved.elapsed() < Duration::from_secs(1));
    wait_line(&mut watch, "does not pass yet");

    // The reference solution, applied while watch runs: it passes and moves on.
    git(&dir, &["apply", &format!("exercises/{first}.patch")]);
    wait_line(&mut watch, "passes. Well done!");
    let next = wait_line(&mut watch, "Watching ");
    assert_ne!(next, watching, "watch moves on to the next exercise");
    drop(watch);
    let (code, out, err) = run_course(&dir, &["check", &first], BUILD);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("passes. Well done!"), "{out}");

    let (_, list, _) = run_course(&dir, &["list"], WAIT);
    assert!(
        list.lines().any(|l| l.contains(&format!("✓ {name} "))),
        "{list}"
    );
    assert!(
        list.contains(&format!("\n1/{} done.", patches(&dir).len())),
        "{list}"
    );
    let (code, shown, _) = run_course(&dir, &["solution", &first], WAIT);
    assert_eq!(code, 0);
    assert_eq!(
        shown,
        fs::read_to_string(dir.join(format!("exercises/{first}.patch"))).unwrap()
    );

    // reset asks first; without a yes nothing changes.
    let (code, _, _) = run_course(&dir, &["reset", &first], WAIT);
    assert_eq!(code, 1);
    assert_ne!(
        git(&dir, &["status", "--porcelain"]),
        "",
        "reset without yes changed nothing"
    );
    let (code, out, err) = run_course(&dir, &["reset", "--yes", &first], WAIT);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        git(&dir, &["status", "--porcelain"]),
        "",
        "the tree is as shipped"
    );
    let (_, list, _) = run_course(&dir, &["list"], WAIT);
    assert!(list.contains("\n0/"), "{list}");
}

/// Reads watch's output until a line contains `text`, for as long as a build takes.
fn wait_line(program: &mut Program, text: &str) -> String {
    let deadline = Instant::now() + BUILD;
    while Instant::now() < deadline {
        if let Some(line) = program.next_line(Duration::from_secs(1)) {
            if line.contains(text) {
                return line;
            }
        }
    }
    panic!("no line with {text:?}; saw {:?}", program.seen());
}

#[test]
#[ignore = "builds a lesson in three prepared checkouts, waits out a hanging check twice (about a minute)"]
fn grade_two_checkouts_a_broken_one_and_a_hanging_check() {
    let _turn = building();
    let solved = scratch("grade/solved");
    let unsolved = scratch("grade/unsolved");
    let broken = scratch("grade/broken");
    let (first, lesson) = first_exercise(&solved);
    git(&solved, &["apply", &format!("exercises/{first}.patch")]);
    let main = broken.join("crates").join(&lesson).join("src/main.rs");
    let mut code = fs::read_to_string(&main).unwrap();
    code.push_str("\nfn broken( {\n");
    fs::write(&main, code).unwrap();
    // The instructor's copy has one more check, which hangs: it costs its cell only.
    let instructor = scratch("grade/instructor");
    let checks = instructor
        .join("crates")
        .join(&lesson)
        .join("tests/exercises.rs");
    let hangs = "mod exercise {\n    #[test]\n    #[ignore]\n    \
                 fn hangs() {\n        std::thread::sleep(std::time::Duration::from_secs(300));\n    }\n";
    let with_hang = fs::read_to_string(&checks)
        .unwrap()
        .replacen("mod exercise {\n", hangs, 1);
    assert!(
        with_hang.contains("fn hangs"),
        "{} has no `mod exercise {{`",
        checks.display()
    );
    fs::write(&checks, with_hang).unwrap();
    let (_, ordered, _) = run_course(&instructor, &["list", "--names"], WAIT);
    let ordered: Vec<&str> = ordered
        .lines()
        .filter(|e| e.starts_with(&format!("{lesson}/")))
        .collect();
    let n = ordered.len();
    // A student whose checks pass whatever the code does still fails: grade runs
    // the instructor's checks.
    let mut cheat = String::from("mod exercise {\n");
    for e in &ordered {
        cheat.push_str(&format!(
            "#[test] #[ignore] fn {}() {{}}\n",
            e.split('/').nth(1).unwrap()
        ));
    }
    cheat.push_str("}\n");
    fs::write(
        unsolved
            .join("crates")
            .join(&lesson)
            .join("tests/exercises.rs"),
        cheat,
    )
    .unwrap();

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("course-grade/grades");
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("course-grade/work");
    let dirs = [&solved, &unsolved, &broken].map(|d| d.display().to_string());
    // Longer than a failing check takes (lesson-testing waits 10 s for a line).
    let mut args = vec!["grade", "--only", &lesson, "--timeout", "12"];
    let (out_arg, work_arg) = (out.display().to_string(), work.display().to_string());
    args.extend(["--out", &out_arg, "--work", &work_arg]);
    args.extend(dirs.iter().map(String::as_str));
    let (code, table, err) = run_course(&instructor, &args, BUILD);
    assert_eq!(code, 0, "{table}{err}");

    let row = |name: &str, cells: Vec<&str>, passed: usize| {
        (
            format!("{name},{},{passed}/{n}", cells.join(",")),
            format!("| {name} | {} | {passed}/{n} |", cells.join(" | ")),
        )
    };
    let cells = |solved: &str| -> Vec<&str> {
        let cell = |e: &&str| match *e {
            e if e.ends_with("/hangs") => "timed out",
            e if e == solved => "pass",
            _ => "fail",
        };
        ordered.iter().map(cell).collect()
    };
    let rows = [
        row("solved", cells(&first), 1),
        row("unsolved", cells(""), 0),
        row("broken", vec!["does not build"; n], 0),
    ];
    let csv = fs::read_to_string(out.with_extension("csv")).unwrap();
    let header = format!("student,{},passed", ordered.join(","));
    let expected: Vec<&str> = std::iter::once(header.as_str())
        .chain(rows.iter().map(|r| r.0.as_str()))
        .collect();
    assert_eq!(csv.lines().collect::<Vec<_>>(), expected);
    let markdown = fs::read_to_string(out.with_extension("md")).unwrap();
    assert_eq!(markdown, table, "the table printed is the one written");
    let lines: Vec<&str> = markdown.lines().collect();
    assert!(
        lines[0].starts_with("| student | ") && lines[0].ends_with(" | passed |"),
        "{markdown}"
    );
    assert_eq!(lines[1], format!("|---|{}", "---|".repeat(n + 1)));
    assert_eq!(
        &lines[2..5],
        rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>()
    );
}
