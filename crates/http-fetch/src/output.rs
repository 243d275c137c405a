//! Where the body goes: a file (through NAME.part), a device or pipe, stdout,
//! or stdout as decoded text (`--print`).
//!
//! The seed writes `open('sina.html', 'wb').write(html)` once the whole answer is in
//! memory. Here the body is written piece by piece as it arrives, so a download
//! that dies halfway leaves NAME.part, never a truncated file under the real name.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::bail;
use encoding_rs::CoderResult;
use net_common::errors;
use net_common::text::StreamDecoder;

/// An open destination for the body.
pub enum Output {
    /// A regular file: written as `NAME.part`, renamed to NAME once complete.
    Part {
        file: File,
        part: PathBuf,
        path: PathBuf,
        written: u64,
    },
    /// Something that is not a regular file, such as /dev/null or a named pipe:
    /// written directly. Renaming a .part over /dev/null (as root) would replace the device.
    Direct {
        file: File,
        path: PathBuf,
        written: u64,
    },
    /// `-o -`: the raw body on stdout.
    Stdout(io::Stdout),
    /// `--print`: the body decoded to text on stdout.
    Text {
        decoder: TextDecoder,
        out: io::Stdout,
        /// Whether the text so far ends a line, so the end adds a newline only when needed.
        ends_line: bool,
    },
}

impl Output {
    /// Opens `path` for the body; `-` means stdout.
    pub fn to_path(path: &Path) -> anyhow::Result<Output> {
        if path.as_os_str() == "-" {
            return Ok(Output::Stdout(io::stdout()));
        }
        let shown = path.display();
        // metadata() follows symbolic links: a link to /dev/null counts as a device.
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => bail!("{shown} is a directory (give -o a file name)"),
            Ok(meta) if !meta.is_file() => {
                let file = File::options()
                    .write(true)
                    .open(path)
                    .map_err(|e| errors::io(format!("opening {shown}"), e))?;
                Ok(Output::Direct {
                    file,
                    path: path.to_owned(),
                    written: 0,
                })
            }
            _ => {
                let mut part = path.as_os_str().to_owned();
                part.push(".part");
                let part = PathBuf::from(part);
                let file = File::create(&part)
                    .map_err(|e| errors::io(format!("creating {}", part.display()), e))?;
                Ok(Output::Part {
                    file,
                    part,
                    path: path.to_owned(),
                    written: 0,
                })
            }
        }
    }

    /// The body is complete: flush, and give a .part file its real name.
    /// Returns a line saying where the body went, if it went to a file.
    pub fn finish(self) -> anyhow::Result<Option<String>> {
        match self {
            Output::Part {
                file,
                part,
                path,
                written,
            } => {
                file.sync_all()
                    .map_err(|e| errors::io(format!("writing {}", part.display()), e))?;
                drop(file);
                fs::rename(&part, &path).map_err(|e| {
                    errors::io(
                        format!("renaming {} to {}", part.display(), path.display()),
                        e,
                    )
                })?;
                Ok(Some(format!("saved {written} bytes to {}", path.display())))
            }
            Output::Direct { path, written, .. } => {
                Ok(Some(format!("wrote {written} bytes to {}", path.display())))
            }
            Output::Stdout(mut out) => {
                out.flush()
                    .map_err(|e| errors::io("writing to stdout", e))?;
                Ok(None)
            }
            Output::Text {
                mut decoder,
                mut out,
                ends_line,
            } => {
                let rest = decoder.decode(&[], true);
                let newline = if (rest.is_empty() && ends_line) || rest.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                write!(out, "{rest}{newline}")
                    .and_then(|()| out.flush())
                    .map_err(|e| errors::io("writing to stdout", e))?;
                Ok(None)
            }
        }
    }

    /// Where an incomplete body was kept, for the error message.
    pub fn kept(&self) -> Option<&Path> {
        match self {
            Output::Part { part, .. } => Some(part),
            _ => None,
        }
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Output::Part { file, written, .. } | Output::Direct { file, written, .. } => {
                let n = file.write(bytes)?;
                *written += n as u64;
                Ok(n)
            }
            Output::Stdout(out) => out.write(bytes),
            Output::Text {
                decoder,
                out,
                ends_line,
            } => {
                let text = decoder.decode(bytes, false);
                if !text.is_empty() {
                    *ends_line = text.ends_with('\n');
                }
                out.write_all(text.as_bytes())?;
                Ok(bytes.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Part { file, .. } | Output::Direct { file, .. } => file.flush(),
            Output::Stdout(out) | Output::Text { out, .. } => out.flush(),
        }
    }
}

/// Decodes the body for `--print`, whose characters may be split between reads.
pub enum TextDecoder {
    /// The charset named by Content-Type, any that encoding_rs knows (gbk, shift_jis, ...).
    Charset(encoding_rs::Decoder),
    /// No charset given: the lesson's `--encoding` (utf8, gbk, or auto).
    Lesson(StreamDecoder),
}

impl TextDecoder {
    /// The decoder for a `Content-Type` such as `text/html; charset=gbk`, and a
    /// note when its charset is unknown.
    pub fn for_content_type(
        content_type: Option<&[u8]>,
        fallback: net_common::Encoding,
    ) -> (TextDecoder, Option<String>) {
        let label = content_type.and_then(charset);
        match label {
            Some(label) => match encoding_rs::Encoding::for_label(label.as_bytes()) {
                Some(encoding) => (TextDecoder::Charset(encoding.new_decoder()), None),
                None => (
                    TextDecoder::Lesson(fallback.stream_decoder()),
                    Some(format!(
                        "unknown charset '{label}', decoding as {fallback} instead"
                    )),
                ),
            },
            None => (TextDecoder::Lesson(fallback.stream_decoder()), None),
        }
    }

    /// Decodes one piece; `last` ends the text (an unfinished character shows as U+FFFD).
    pub fn decode(&mut self, bytes: &[u8], last: bool) -> String {
        match self {
            TextDecoder::Lesson(decoder) if last => decoder.feed(bytes) + &decoder.finish(),
            TextDecoder::Lesson(decoder) => decoder.feed(bytes),
            TextDecoder::Charset(decoder) => {
                let mut text = String::new();
                let mut rest = bytes;
                loop {
                    // Room for the worst case, so one call usually uses all the input.
                    text.reserve(decoder.max_utf8_buffer_length(rest.len()).unwrap_or(4096));
                    let (result, read, _) = decoder.decode_to_string(rest, &mut text, last);
                    rest = &rest[read..];
                    if result == CoderResult::InputEmpty {
                        return text;
                    }
                }
            }
        }
    }
}

/// The `charset` parameter of a Content-Type value, without quotes.
fn charset(content_type: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(content_type);
    text.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use net_common::Encoding;

    #[test]
    fn the_charset_comes_from_content_type() {
        assert_eq!(charset(b"text/html; charset=GBK").as_deref(), Some("GBK"));
        assert_eq!(
            charset(b"text/plain;format=flowed; Charset=\"utf-8\"").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset(b"text/html"), None);
    }

    #[test]
    fn a_gbk_page_decodes_even_when_a_read_splits_a_character() {
        let gbk = b"\xc4\xe3\xba\xc3"; // 你好
        for label in ["text/html; charset=gbk", "text/html; charset=gb2312"] {
            let (mut d, note) =
                TextDecoder::for_content_type(Some(label.as_bytes()), Encoding::Utf8);
            assert_eq!(note, None);
            let text =
                d.decode(&gbk[..1], false) + &d.decode(&gbk[1..], false) + &d.decode(&[], true);
            assert_eq!(text, "你好", "{label}");
        }
        let (mut d, note) =
            TextDecoder::for_content_type(Some(b"text/html; charset=klingon"), Encoding::Auto);
        assert!(note.unwrap().contains("unknown charset 'klingon'"));
        assert_eq!(d.decode(gbk, true), "你好");
    }
}
