//! `course watch`: the current exercise's check, run again each time a file of its
//! lesson is saved; when it passes, on to the next exercise. `notify` gives the
//! file events on Linux (inotify), macOS (FSEvents) and Windows.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{EventKind, RecursiveMode, Watcher};

use crate::course::{Course, Exercise, Progress};

/// Editors save in several steps; events this close together are one save.
const SETTLE: Duration = Duration::from_millis(200);

pub fn watch(
    course: &Course,
    progress: &mut Progress,
    first: Exercise,
    limit: Duration,
) -> Result<ExitCode> {
    let (tx, saves) = mpsc::channel();
    // FSEvents reports canonical paths (/private/var/...), inotify the ones watched.
    let roots = [
        course.root.clone(),
        course.root.canonicalize().unwrap_or_default(),
    ];
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_))
        {
            for path in event.paths.into_iter().filter(|p| is_source(&roots, p)) {
                let _ = tx.send(path);
            }
        }
    })
    .context("cannot watch files")?;

    let mut exercise = first;
    loop {
        let folder = course.root.join("crates").join(&exercise.lesson);
        watcher
            .watch(&folder, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", folder.display()))?;
        say!(
            "\nWatching {} for {} {}: {}",
            relative(course, &folder),
            exercise.id,
            if exercise.level.is_empty() {
                String::new()
            } else {
                format!("({})", exercise.level)
            },
            exercise.expects
        );
        say!(
            "Save a file to run its check; Ctrl-C stops. (course hint {})",
            exercise.id
        );
        loop {
            let saved = saves.recv().context("the file watcher stopped")?;
            say!("saved {}", relative(course, &saved));
            // Let the rest of this save arrive, then check once.
            while saves.recv_timeout(SETTLE).is_ok() {}
            let passed = crate::check(course, &exercise, limit)?;
            // Whatever was saved while the check ran is tested by the next one.
            if let Some(passed) = passed {
                progress.record(&exercise, Some(passed))?;
                if passed {
                    break;
                }
            }
        }
        let _ = watcher.unwatch(&folder);
        while saves.try_recv().is_ok() {}
        match course.next(progress) {
            Some(next) => exercise = next.clone(),
            None => {
                say!("Every exercise is done. Congratulations!");
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
}

/// A file the learner saved, not an editor's backup or swap file, nor build output.
fn is_source(roots: &[PathBuf], path: &Path) -> bool {
    let Some(path) = roots.iter().find_map(|root| path.strip_prefix(root).ok()) else {
        return false;
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let junk =
        name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name == "4913";
    !junk && !path.components().any(|c| c.as_os_str() == "target")
}

fn relative(course: &Course, path: &Path) -> String {
    let root = course
        .root
        .canonicalize()
        .unwrap_or_else(|_| course.root.clone());
    let path: PathBuf = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    path.strip_prefix(&root)
        .unwrap_or(&path)
        .display()
        .to_string()
}
