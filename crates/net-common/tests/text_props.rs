//! Property tests for text decoding: whatever the text and however TCP cuts it
//! into reads, the line buffer gives back exactly the text that was sent.
//! (It takes "\r\n" for a line end, so the generated texts hold no '\r'.)

use net_common::Encoding;
use net_common::text::LineBuffer;
use proptest::prelude::*;

/// Cuts `bytes` at the given points (taken modulo the length), as reads might.
fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in at.into_iter().chain([bytes.len()]) {
        out.push(bytes[start..cut].to_vec());
        start = cut;
    }
    out
}

fn decode_in_chunks(encoding: Encoding, bytes: &[u8], cuts: &[usize]) -> String {
    let mut lines = LineBuffer::new(encoding, 1 << 20);
    let mut text = String::new();
    for chunk in chunks(bytes, cuts) {
        for line in lines.push(&chunk) {
            text += &line;
            text.push('\n');
        }
    }
    text + &lines.finish().unwrap_or_default()
}

/// Characters GBK can hold: ASCII, CJK ideographs, CJK punctuation and full-width forms.
fn gbk_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range(' ', '~'),
            proptest::char::range('\u{4e00}', '\u{9fa5}'),
            proptest::char::range('\u{3001}', '\u{3003}'),
            proptest::char::range('\u{3008}', '\u{3011}'),
            proptest::char::range('\u{ff01}', '\u{ff5e}'),
            Just('\n'),
        ],
        0..64,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn utf8_text_survives_any_cuts(text in any::<String>(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let text = text.replace('\r', "");
        let bytes = Encoding::Utf8.encode(&text);
        prop_assert_eq!(decode_in_chunks(Encoding::Utf8, &bytes, &cuts), text.clone());
        // auto reads valid UTF-8 as UTF-8, however it is cut.
        prop_assert_eq!(decode_in_chunks(Encoding::Auto, &bytes, &cuts), text.clone());
        prop_assert_eq!(Encoding::Utf8.decode(&bytes), text.as_str());
        prop_assert_eq!(Encoding::Auto.decode(&bytes), text.as_str());
    }

    #[test]
    fn any_string_gbk_can_hold_survives_any_cuts(text in any::<String>(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        // Keep the characters GBK can hold; the rest (emoji, say) would become "&#NNN;".
        let text: String = text.chars().filter(|&c| c != '\r').filter(|c| !encoding_rs::GBK.encode(c.encode_utf8(&mut [0; 4])).2).collect();
        let bytes = Encoding::Gbk.encode(&text);
        prop_assert_eq!(decode_in_chunks(Encoding::Gbk, &bytes, &cuts), text.clone());
        prop_assert_eq!(Encoding::Gbk.decode(&bytes), text.as_str());
    }

    #[test]
    fn chinese_gbk_text_survives_any_cuts(text in gbk_text(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let bytes = Encoding::Gbk.encode(&text);
        prop_assert_eq!(decode_in_chunks(Encoding::Gbk, &bytes, &cuts), text.clone());
        prop_assert_eq!(Encoding::Gbk.decode(&bytes), text.as_str());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let bytes: Vec<u8> = bytes.into_iter().filter(|&b| b != b'\r').collect();
        for encoding in [Encoding::Utf8, Encoding::Gbk, Encoding::Auto] {
            let streamed = decode_in_chunks(encoding, &bytes, &cuts);
            let whole = encoding.decode(&bytes);
            // No byte is lost silently: something comes out for every input.
            prop_assert_eq!(streamed.is_empty(), bytes.is_empty());
            prop_assert_eq!(whole.is_empty(), bytes.is_empty());
        }
        // What comes out does not depend on where the reads were cut.
        for encoding in [Encoding::Utf8, Encoding::Gbk, Encoding::Auto] {
            prop_assert_eq!(decode_in_chunks(encoding, &bytes, &cuts), decode_in_chunks(encoding, &bytes, &[]));
        }
        prop_assert_eq!(decode_in_chunks(Encoding::Utf8, &bytes, &cuts), Encoding::Utf8.decode(&bytes).into_owned());
    }
}
