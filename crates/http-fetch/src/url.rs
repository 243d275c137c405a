// ANCHOR: all
//! Taking an `http://` URL apart by hand: host, port, and the path the request asks for.

use anyhow::bail;

/// The parts of a URL that the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String, // as written: an IPv6 address keeps its brackets, [::1]
    pub port: u16,
    pub target: String, // path and query, as the request line sends them
}

impl Url {
    /// Parses `[http://]host[:port][/path][?query][#fragment]`.
    pub fn parse(text: &str) -> anyhow::Result<Url> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                bail!("https:// needs TLS, which is outside this lesson (try an http:// URL)")
            }
            Some((scheme, _)) => bail!("'{scheme}://' URLs are not supported: only http://"),
            None => text,
        };
        // The host and port end where the path, query or fragment starts; the
        // port is after the last ':', unless that ':' is inside an IPv6 [::1].
        let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, port),
            _ => (authority, "80"),
        };
        if host.is_empty() || authority.contains('@') {
            bail!("'{text}' has no host, or a user@ (expected http://host[:port]/path)");
        }
        let port = match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ if port.is_empty() => 80,
            _ => bail!("'{port}' is not a port number (1-65535)"),
        };
        // The fragment (#...) stays in the browser: it is never sent.
        let path = path.split('#').next().unwrap_or("");
        let slash = if path.starts_with('/') { "" } else { "/" };
        let target = format!("{slash}{}", percent_encode(path));
        let host = host.to_owned();
        Ok(Url { host, port, target })
    }

    /// The Host header: the host, and the port when it is not the default 80.
    pub fn host_header(&self) -> String {
        match self.port {
            80 => self.host.clone(),
            port => format!("{}:{port}", self.host),
        }
    }

    /// The file name to save under: the last path segment, percent-decoded, with
    /// no `/` or `\`, no control characters, no leading dots (so no `..` and no
    /// hidden file), at most 200 bytes; `index.html` when nothing is left.
    pub fn file_name(&self) -> String {
        let path = self.target.split('?').next().unwrap_or("");
        let last = String::from_utf8_lossy(&percent_decode(path.rsplit('/').next().unwrap_or("")))
            .replace(|c: char| c == '/' || c == '\\' || c.is_control(), "_");
        let mut name = last.trim().trim_start_matches('.').trim_start();
        // File names are limited to 255 bytes; leave room for ".part".
        while name.len() > 200 {
            name = &name[..name.len() - name.chars().last().map_or(1, char::len_utf8)];
        }
        if name.is_empty() { "index.html" } else { name }.to_owned()
    }
}

/// `%41` becomes `A`; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let hex = |i: usize| bytes.get(i).and_then(|&b| (b as char).to_digit(16));
    let (mut out, mut i) = (Vec::with_capacity(bytes.len()), 0);
    while i < bytes.len() {
        let (byte, used) = match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => ((hi * 16 + lo) as u8, 3),
            (b, _, _) => (b, 1),
        };
        out.push(byte);
        i += used;
    }
    out
}

/// Bytes that may not appear in a request line as they are (spaces, controls,
/// non-ASCII such as 中文, and a few reserved marks) are sent as `%XX`.
fn percent_encode(text: &str) -> String {
    let plain = |b: u8| b > b' ' && b < 0x7f && !b"\"<>\\^`{|}".contains(&b);
    let encode = |&b: &u8| match plain(b) {
        true => (b as char).to_string(),
        false => format!("%{b:02X}"),
    };
    text.as_bytes().iter().map(encode).collect()
}
// ANCHOR_END: all

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
            ("http://u:p@h/", "or a user@"),
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
}
