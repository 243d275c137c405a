//! Taking an `http://` URL apart by hand: host, port, and the path the request asks for.
//!
//! Python's seed needs no URL at all: it writes the host into `connect` and the
//! path into the request. A real tool takes the URL a person copies from a browser.
//! Only what a plain-HTTP GET needs is handled: no user:password@, no TLS.

use std::net::Ipv6Addr;

use anyhow::{anyhow, bail};

/// The parts of a URL that the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// As written in the URL; an IPv6 address keeps its brackets: `[::1]`.
    pub host: String,
    /// From the URL, 80 when it gives none.
    pub port: u16,
    /// Path and query, as the request line sends them: `/dir/file.txt?x=1`.
    pub target: String,
}

impl Url {
    /// Parses `http://host[:port][/path][?query][#fragment]`. A URL without a
    /// scheme is taken as http://, as browsers and curl do.
    pub fn parse(text: &str) -> anyhow::Result<Url> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => bail!(
                "https:// needs TLS, which is outside this lesson: http-fetch speaks plain HTTP only (try an http:// URL)"
            ),
            Some((scheme, _)) => bail!("'{scheme}://' URLs are not supported: only http://"),
            None => text,
        };
        // The authority (host and port) ends where the path, query or fragment starts.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            bail!("user:password@ in a URL is not supported");
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (inside, after) = v6
                .split_once(']')
                .ok_or_else(|| anyhow!("'{authority}': an IPv6 address needs its closing ]"))?;
            if inside.parse::<Ipv6Addr>().is_err() {
                bail!("'{inside}' is not an IPv6 address");
            }
            (&authority[..inside.len() + 2], after.strip_prefix(':'))
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            bail!("'{text}' has no host (expected http://host[:port]/path)");
        }
        let port = match port {
            None | Some("") => 80,
            Some(digits) => match digits.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => bail!("'{digits}' is not a port number (1-65535)"),
            },
        };
        // The fragment (#...) stays in the browser: it is never sent.
        let path = path.split('#').next().unwrap_or("");
        let target = if path.starts_with('/') {
            percent_encode(path)
        } else {
            format!("/{}", percent_encode(path))
        };
        Ok(Url {
            host: host.to_owned(),
            port,
            target,
        })
    }

    /// The Host header: the host, and the port when it is not the default 80.
    pub fn host_header(&self) -> String {
        match self.port {
            80 => self.host.clone(),
            port => format!("{}:{port}", self.host),
        }
    }

    /// The file name to save under: the last path segment, percent-decoded, cleaned
    /// so it can never leave the current directory; `index.html` when there is none.
    pub fn file_name(&self) -> String {
        let path = self.target.split('?').next().unwrap_or("");
        let last = path.rsplit('/').next().unwrap_or("");
        clean_file_name(&String::from_utf8_lossy(&percent_decode(last)))
    }

    /// Where a redirect's Location points, as a URL to fetch next.
    pub fn join(&self, location: &str) -> String {
        if location.contains("://") {
            location.to_owned()
        } else if location.starts_with("//") {
            format!("http:{location}")
        } else if location.starts_with('/') {
            format!("http://{}{location}", self.host_header())
        } else {
            // Relative to the directory of the current path.
            let path = self.target.split('?').next().unwrap_or("/");
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("http://{}{dir}{location}", self.host_header())
        }
    }
}

/// A name that stays in the current directory: no `/` or `\`, no control
/// characters, no leading dots (so no `..` and no hidden file), at most 200 bytes.
pub fn clean_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut name = replaced.trim().trim_start_matches('.').trim_start();
    // File names are limited to 255 bytes; leave room for ".part".
    while name.len() > 200 {
        let mut cut = 200;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name = &name[..cut];
    }
    if name.is_empty() {
        "index.html".to_owned()
    } else {
        name.to_owned()
    }
}

/// `%41` becomes `A`; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Bytes that may not appear in a request line as they are (spaces, controls,
/// non-ASCII such as 中文, and a few reserved marks) are sent as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b <= b' ' || b >= 0x7f || b"\"<>\\^`{|}".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn url(host: &str, port: u16, target: &str) -> Url {
        Url {
            host: host.into(),
            port,
            target: target.into(),
        }
    }

    #[test]
    fn parses_host_port_and_path() {
        assert_eq!(
            Url::parse("http://127.0.0.1:8000/a/b.txt?x=1#top").unwrap(),
            url("127.0.0.1", 8000, "/a/b.txt?x=1")
        );
        assert_eq!(
            Url::parse("HTTP://example.test").unwrap(),
            url("example.test", 80, "/")
        );
        assert_eq!(
            Url::parse("localhost:8080?q").unwrap(),
            url("localhost", 8080, "/?q")
        );
        assert_eq!(
            Url::parse("http://[::1]:8080/x").unwrap(),
            url("[::1]", 8080, "/x")
        );
        assert_eq!(Url::parse("http://[::1]/").unwrap(), url("[::1]", 80, "/"));
        assert_eq!(Url::parse("http://h:/").unwrap(), url("h", 80, "/"));
    }

    #[test]
    fn the_host_header_names_the_port_unless_it_is_80() {
        assert_eq!(url("h", 80, "/").host_header(), "h");
        assert_eq!(url("[::1]", 81, "/").host_header(), "[::1]:81");
    }

    #[test]
    fn unsafe_bytes_in_the_path_are_percent_encoded() {
        assert_eq!(
            Url::parse("http://h/a b/中.txt").unwrap().target,
            "/a%20b/%E4%B8%AD.txt"
        );
        assert_eq!(
            Url::parse("http://h/a b/中.txt").unwrap().file_name(),
            "中.txt"
        );
    }

    #[test]
    fn bad_urls_get_a_reason() {
        for (text, reason) in [
            (
                "https://h/",
                "https:// needs TLS, which is outside this lesson",
            ),
            ("ftp://h/", "'ftp://' URLs are not supported"),
            ("http:///x", "has no host"),
            ("http://h:99999/", "'99999' is not a port number"),
            ("http://h:0/", "'0' is not a port number"),
            ("http://[::1/", "needs its closing ]"),
            ("http://[nope]/", "'nope' is not an IPv6 address"),
            ("http://u:p@h/", "user:password@"),
        ] {
            let e = Url::parse(text).unwrap_err().to_string();
            assert!(e.contains(reason), "{text}: {e}");
            assert!(!e.contains('\n'), "{text}: {e}");
        }
    }

    #[test]
    fn file_names_stay_in_the_current_directory() {
        for (path, name) in [
            ("/", "index.html"),
            ("/dir/", "index.html"),
            ("/dir/file.tar.gz?version=2", "file.tar.gz"),
            ("/../../etc/passwd", "passwd"),
            ("/%2e%2e", "index.html"),
            ("/..", "index.html"),
            ("/.", "index.html"),
            ("/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "_.._etc_passwd"),
            ("/..%5c..%5cwin.ini", "_.._win.ini"),
            ("/.bashrc", "bashrc"),
            ("/a%00b%0a", "a_b_"),
            ("/%E4%BD%A0%E5%A5%BD.txt", "你好.txt"),
            ("/%ff.bin", "\u{fffd}.bin"),
            ("/100%", "100%"),
        ] {
            let got = url("h", 80, path).file_name();
            assert_eq!(got, name, "{path}");
            assert!(!got.contains('/') && !got.starts_with('.'), "{path}");
        }
        let long = format!("/{}", "é".repeat(300));
        let got = url("h", 80, &long).file_name();
        assert!(got.len() <= 200 && got.starts_with('é'), "{got}");
    }

    #[test]
    fn redirect_locations_become_urls() {
        let base = url("h", 8000, "/docs/old.html?x");
        assert_eq!(base.join("http://o/p"), "http://o/p");
        assert_eq!(base.join("//o/p"), "http://o/p");
        assert_eq!(base.join("/new"), "http://h:8000/new");
        assert_eq!(base.join("new.html"), "http://h:8000/docs/new.html");
    }
}
