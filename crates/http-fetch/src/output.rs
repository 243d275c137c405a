// ANCHOR: all
//! Where the body goes: a file (through NAME.part), a device or a pipe, or stdout.
//! The seed's `open('sina.html', 'wb').write(html)`, one piece at a time.

use std::fs::{self, File};
use std::io::{self, ErrorKind, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::bail;
use net_common::errors;

/// Where the body goes. Each piece is a whole recv, so it goes straight to the
/// file: a buffer in between would only copy it once more.
pub struct Output {
    file: File,
    path: PathBuf, // as given: `-` for stdout
    /// A regular file is written as `NAME.part`, renamed once the body is complete,
    /// so a download that dies halfway never leaves a short file under the real name.
    pub part: Option<PathBuf>,
    pub written: u64,
}

/// Opens `path` for the body; `-` means stdout.
pub fn open(path: &Path) -> anyhow::Result<Output> {
    let failed = |what: &Path, e| errors::io(format!("opening {}", what.display()), e);
    let mut part = None;
    // metadata() follows symbolic links: a link to /dev/null counts as a device.
    let file = match fs::metadata(path) {
        // A File of our own on stdout, a copy of its descriptor (Python's os.dup(1)):
        // io::stdout() would search every piece for line ends to flush at.
        _ if path.as_os_str() == "-" => {
            let fd = io::stdout().as_fd().try_clone_to_owned();
            File::from(fd.map_err(|e| failed(path, e))?)
        }
        // A device or a pipe (/dev/null, mkfifo) is written directly: renaming a
        // .part over /dev/null (as root) would replace the device with a file.
        Ok(meta) if !meta.is_file() => File::create(path).map_err(|e| failed(path, e))?,
        _ => {
            let name = PathBuf::from(format!("{}.part", path.display()));
            let file = File::create(&name).map_err(|e| failed(&name, e))?;
            part = Some(name);
            file
        }
    };
    Ok(Output {
        file,
        path: path.to_owned(),
        part,
        written: 0,
    })
}

impl Output {
    pub fn write(&mut self, data: &[u8]) -> anyhow::Result<()> {
        match self.file.write_all(data) {
            Ok(()) => self.written += data.len() as u64,
            // Nobody reads the body any more (`-o - | head -c 10`): end quietly, as say! does.
            Err(e) if e.kind() == ErrorKind::BrokenPipe && self.path == Path::new("-") => {
                std::process::exit(0)
            }
            Err(e) => return Err(errors::io(format!("writing {}", self.path.display()), e)),
        }
        Ok(())
    }

    /// After the copy: a .part file takes its real name if the body is complete,
    /// or stays to show what arrived. Returns a line saying where the body went.
    pub fn finish(self, copied: anyhow::Result<()>) -> anyhow::Result<Option<String>> {
        let (path, written) = (self.path.display(), self.written);
        match (copied, &self.part) {
            (Err(e), Some(part)) => bail!("{e:#} (what arrived is kept in {})", part.display()),
            (Err(e), None) => Err(e),
            (Ok(()), None) if self.path == Path::new("-") => Ok(None),
            (Ok(()), None) => Ok(Some(format!("wrote {written} bytes to {path}"))),
            (Ok(()), Some(part)) => {
                // The bytes are on disk before the file takes its real name.
                let what = format!("renaming {} to {path}", part.display());
                let renamed = self
                    .file
                    .sync_all()
                    .and_then(|()| fs::rename(part, &self.path));
                renamed.map_err(|e| errors::io(what, e))?;
                Ok(Some(format!("saved {written} bytes to {path}")))
            }
        }
    }
}
// ANCHOR_END: all
