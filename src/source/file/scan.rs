//! Finding where a JSON object or array ends, 64 bytes at a time: the reader cuts a dump's list
//! items apart on one thread before they are decoded on others, so this scan is the file path's
//! serial part. Each block of 64 bytes becomes bit masks (quotes, brackets, newlines); which bytes
//! are inside strings follows from the quotes by a prefix XOR (as simdjson does), and the depth
//! from counting the brackets outside them. A block holding a backslash (an escape: rare in what
//! the API server writes) is read byte by byte. Only the extent is found; whoever parses the text
//! checks it. The masks are AVX2's where the processor has it, else SSE2's (every x86_64 has
//! it); elsewhere (the macOS arm64 build) the byte-by-byte scan is used throughout, which jumps
//! through strings with `memchr` as before.

/// Where a scan of one value stands, kept between calls as the buffer grows.
#[derive(Debug, Default, Clone)]
pub(super) struct Scan {
    /// Bytes scanned so far.
    pub i: usize,
    depth: u32,
    in_str: bool,
    /// The byte before `i` is a backslash that escapes the next one.
    esc: bool,
    /// Newlines in `..i`, and the last one's position.
    pub newlines: u64,
    pub last_newline: Option<usize>,
}

/// Bit masks of one block: bit `k` is byte `k`.
#[cfg(any(target_arch = "x86_64", test))]
#[derive(Default)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
    newline: u64,
}

/// Which instructions build the masks: AVX2's 32-byte compares where the processor has them
/// (checked once a scan), with POPCNT to count the brackets (the baseline target has no
/// population count instruction: its bit-twiddling was a third of the scan's instructions),
/// SSE2's 16-byte ones otherwise.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Simd {
    Sse2,
    Avx2,
}

#[cfg(target_arch = "x86_64")]
fn simd() -> Simd {
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
    {
        Simd::Avx2
    } else {
        Simd::Sse2
    }
}

/// `{` and `[` (0x7b, 0x5b), and `}` and `]` (0x7d, 0x5d), differ from each other in bit 0x20
/// alone, and no other byte with that bit set is either: one compare finds both of a pair.
#[cfg(target_arch = "x86_64")]
const FOLD: u8 = 0x20;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sse2_masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let (quote, backslash, open, close, newline, fold) = (
        _mm_set1_epi8(b'"' as i8),
        _mm_set1_epi8(b'\\' as i8),
        _mm_set1_epi8(b'{' as i8),
        _mm_set1_epi8(b'}' as i8),
        _mm_set1_epi8(b'\n' as i8),
        _mm_set1_epi8(FOLD as i8),
    );
    let mut m = Masks::default();
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: `chunk` holds 16 bytes, and `loadu` has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
        let folded = _mm_or_si128(v, fold);
        let shift = 16 * k;
        let bits = |x| u64::from(_mm_movemask_epi8(x) as u16) << shift;
        m.quote |= bits(_mm_cmpeq_epi8(v, quote));
        m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
        m.open |= bits(_mm_cmpeq_epi8(folded, open));
        m.close |= bits(_mm_cmpeq_epi8(folded, close));
        m.newline |= bits(_mm_cmpeq_epi8(v, newline));
    }
    m
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let (quote, backslash, open, close, newline, fold) = (
        _mm256_set1_epi8(b'"' as i8),
        _mm256_set1_epi8(b'\\' as i8),
        _mm256_set1_epi8(b'{' as i8),
        _mm256_set1_epi8(b'}' as i8),
        _mm256_set1_epi8(b'\n' as i8),
        _mm256_set1_epi8(FOLD as i8),
    );
    let mut m = Masks::default();
    for (k, chunk) in block.chunks_exact(32).enumerate() {
        // SAFETY: `chunk` holds 32 bytes, and `loadu` has no alignment requirement.
        let v = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
        let folded = _mm256_or_si256(v, fold);
        let shift = 32 * k;
        let bits = |x| u64::from(_mm256_movemask_epi8(x) as u32) << shift;
        m.quote |= bits(_mm256_cmpeq_epi8(v, quote));
        m.backslash |= bits(_mm256_cmpeq_epi8(v, backslash));
        m.open |= bits(_mm256_cmpeq_epi8(folded, open));
        m.close |= bits(_mm256_cmpeq_epi8(folded, close));
        m.newline |= bits(_mm256_cmpeq_epi8(v, newline));
    }
    m
}

/// The same masks, a byte at a time (the tests' reference).
#[cfg(test)]
fn portable_masks(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (k, &b) in block.iter().enumerate() {
        let bit = 1u64 << k;
        match b {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'[' => m.open |= bit,
            b'}' | b']' => m.close |= bit,
            b'\n' => m.newline |= bit,
            _ => {}
        }
    }
    m
}

/// Bit `k` set where an odd number of bits of `x` are set at or below `k`.
#[cfg(target_arch = "x86_64")]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

impl Scan {
    /// Scan on over `buf` (the same bytes as before, perhaps more of them) for the end of the
    /// object or array at `buf[0]`: its length once it closes.
    pub fn run(&mut self, buf: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(end) = self.blocks(buf, simd()) {
            return Some(end);
        }
        self.bytes(buf)
    }

    /// [`Scan::run`] over the whole 64-byte blocks of `buf` from `i`.
    #[cfg(target_arch = "x86_64")]
    fn blocks(&mut self, buf: &[u8], simd: Simd) -> Option<usize> {
        match simd {
            // SAFETY: the processor has AVX2 and POPCNT (`simd`).
            Simd::Avx2 => unsafe { self.avx2_blocks(buf) },
            // SAFETY: without AVX2 nothing is asked of the processor.
            Simd::Sse2 => unsafe { self.blocks_with(buf, false) },
        }
    }

    /// [`Scan::blocks`] compiled for AVX2 and POPCNT, its masks built inline.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn avx2_blocks(&mut self, buf: &[u8]) -> Option<usize> {
        // SAFETY: this function runs only where the processor has AVX2.
        unsafe { self.blocks_with(buf, true) }
    }

    /// # Safety
    /// With `avx2`, the processor must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn blocks_with(&mut self, buf: &[u8], avx2: bool) -> Option<usize> {
        while self.i + 64 <= buf.len() {
            let block: &[u8; 64] = buf[self.i..self.i + 64].try_into().expect("64 bytes");
            // SAFETY: SSE2 is part of every x86_64 target; AVX2 as this function's.
            let m = unsafe {
                if avx2 {
                    avx2_masks(block)
                } else {
                    sse2_masks(block)
                }
            };
            if m.backslash != 0 || self.esc {
                if let Some(end) = self.bytes(&buf[..self.i + 64]) {
                    return Some(end);
                }
                continue;
            }
            let inside = prefix_xor(m.quote) ^ if self.in_str { !0 } else { 0 };
            let open = m.open & !inside;
            let close = m.close & !inside;
            let closes = close.count_ones();
            if closes < self.depth || (close == 0) {
                // The value cannot end in this block.
                self.depth = self.depth + open.count_ones() - closes;
                self.in_str = inside >> 63 == 1;
                self.newline_bits(m.newline, 64);
                self.i += 64;
                continue;
            }
            // Bracket by bracket, in order.
            let mut brackets = open | close;
            while brackets != 0 {
                let k = brackets.trailing_zeros() as usize;
                brackets &= brackets - 1;
                if open >> k & 1 == 1 {
                    self.depth += 1;
                } else {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.newline_bits(m.newline, k);
                        self.i += k + 1;
                        return Some(self.i);
                    }
                }
            }
            self.in_str = inside >> 63 == 1;
            self.newline_bits(m.newline, 64);
            self.i += 64;
        }
        None
    }

    /// Count the newlines among the block's first `n` bytes.
    #[cfg(target_arch = "x86_64")]
    fn newline_bits(&mut self, newline: u64, n: usize) {
        let below = if n >= 64 {
            newline
        } else {
            newline & ((1u64 << n) - 1)
        };
        if below != 0 {
            self.newlines += u64::from(below.count_ones());
            self.last_newline = Some(self.i + 63 - below.leading_zeros() as usize);
        }
    }

    /// Byte by byte from `i` to the end of `buf`, jumping through strings to their next quote,
    /// backslash or newline.
    fn bytes(&mut self, buf: &[u8]) -> Option<usize> {
        while self.i < buf.len() {
            if self.in_str && !self.esc {
                match memchr::memchr3(b'"', b'\\', b'\n', &buf[self.i..]) {
                    Some(j) => self.i += j,
                    None => {
                        self.i = buf.len();
                        return None;
                    }
                }
            }
            let b = buf[self.i];
            let at = self.i;
            self.i += 1;
            if b == b'\n' {
                self.newlines += 1;
                self.last_newline = Some(at);
            }
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(self.i);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end and the newlines of the value at `text[0]`, plainly byte by byte.
    fn reference(text: &[u8]) -> Option<(usize, u64, Option<usize>)> {
        let (mut depth, mut in_str, mut esc, mut newlines, mut last) =
            (0u32, false, false, 0, None);
        for (i, &b) in text.iter().enumerate() {
            if b == b'\n' {
                newlines += 1;
                last = Some(i);
            }
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some((i + 1, newlines, last));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The same, through the block scan, the buffer given in growing pieces of `step`, the
    /// masks built by `simd` (where there is a choice).
    fn blocks(
        text: &[u8],
        step: usize,
        #[cfg(target_arch = "x86_64")] simd: Simd,
    ) -> Option<(usize, u64, Option<usize>)> {
        let mut s = Scan::default();
        let mut have = step.min(text.len());
        loop {
            #[cfg(target_arch = "x86_64")]
            let end = s
                .blocks(&text[..have], simd)
                .or_else(|| s.bytes(&text[..have]));
            #[cfg(not(target_arch = "x86_64"))]
            let end = s.run(&text[..have]);
            if let Some(end) = end {
                return Some((end, s.newlines, s.last_newline));
            }
            if have == text.len() {
                return None;
            }
            have = (have + step).min(text.len());
        }
    }

    /// Every way of scanning `text` agrees with the reference; its end, if it has one.
    fn check(text: &[u8]) -> Option<usize> {
        let want = reference(text);
        // The byte scan alone (what other architectures run).
        let mut s = Scan::default();
        assert_eq!(
            s.bytes(text).map(|end| (end, s.newlines, s.last_newline)),
            want
        );
        #[cfg(target_arch = "x86_64")]
        let ways: &[Simd] = if simd() == Simd::Avx2 {
            &[Simd::Sse2, Simd::Avx2]
        } else {
            &[Simd::Sse2]
        };
        for step in [1, 7, 63, 64, 65, 100, 1000, text.len().max(1)] {
            #[cfg(target_arch = "x86_64")]
            for &simd in ways {
                assert_eq!(
                    blocks(text, step, simd),
                    want,
                    "step {step}, {simd:?}: {}",
                    String::from_utf8_lossy(text)
                );
            }
            #[cfg(not(target_arch = "x86_64"))]
            assert_eq!(
                blocks(text, step),
                want,
                "step {step}: {}",
                String::from_utf8_lossy(text)
            );
        }
        want.map(|w| w.0)
    }

    /// The masks of `block` by every way this processor can build them, the portable reference
    /// first.
    fn all_masks(block: &[u8; 64]) -> Vec<Masks> {
        #[allow(unused_mut)]
        let mut all = vec![portable_masks(block)];
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: SSE2 is part of every x86_64 target.
            all.push(unsafe { sse2_masks(block) });
            if simd() == Simd::Avx2 {
                // SAFETY: the processor has AVX2.
                all.push(unsafe { avx2_masks(block) });
            }
        }
        all
    }

    /// Every byte value, at every position of a block, lands in the mask it belongs to and no
    /// other (the bracket compares fold two bytes into one).
    #[test]
    fn every_byte_value_is_classified_as_the_reference_does() {
        for v in 0..=255u8 {
            for at in [0, 15, 16, 31, 32, 47, 63] {
                let mut block = [b' '; 64];
                block[at] = v;
                let all = all_masks(&block);
                for m in &all[1..] {
                    let r = &all[0];
                    assert_eq!(
                        [m.quote, m.backslash, m.open, m.close, m.newline],
                        [r.quote, r.backslash, r.open, r.close, r.newline],
                        "byte {v:#04x} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn masks_are_the_bytes_they_say() {
        let mut block = [b'a'; 64];
        for (k, b) in [
            (0, b'"'),
            (5, b'\\'),
            (16, b'{'),
            (17, b'['),
            (31, b'}'),
            (32, b']'),
        ] {
            block[k] = b;
        }
        block[63] = b'\n';
        block[40] = 0xff;
        for m in all_masks(&block) {
            assert_eq!(m.quote, 1);
            assert_eq!(m.backslash, 1 << 5);
            assert_eq!(m.open, 3 << 16);
            assert_eq!(m.close, 1 << 31 | 1 << 32);
            assert_eq!(m.newline, 1 << 63);
        }
    }

    #[test]
    fn values_end_where_their_brackets_close_whatever_their_strings_hold() {
        let long = "x".repeat(150);
        let cases = [
            r#"{}"#.to_string(),
            r#"{"a":1} ,{"b":2}"#.to_string(),
            format!(r#"{{"a":"{long}","b":[1,2,{{"c":"}}]]{{"}}]}}, "tail""#),
            format!(r#"{{"s":"\"}}\\","t":"{long}\\\\","u":"\\\"{long}"}}x"#),
            format!("{{\n  \"a\": [\n    \"{long}\"\n  ],\n  \"b\": {{}}\n}}\n,{{}}"),
            format!(r#"[[[[{long}]]]]]"#),
            format!(r#"{{"k":"{}\\"}}""#, "\\".repeat(99)),
            format!(r#"{{"open":"{long}"#),
            format!(r#"{{"a":"b"}}{}"#, "\n".repeat(70)),
        ];
        for text in &cases {
            check(text.as_bytes());
        }
        assert_eq!(reference(cases[1].as_bytes()).map(|r| r.0), Some(7));
        assert_eq!(reference(cases[7].as_bytes()), None);
    }

    #[test]
    fn every_split_of_generated_documents_agrees_with_the_byte_scan() {
        // Pseudo-random documents over the bytes that matter, every position in a block tried.
        // Opening brackets twice as likely as closing ones, so that most documents run long.
        let alphabet = b"{[{[}]\"\"\\\n ,:abcd";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut ended_past_a_block = 0;
        for _ in 0..2000 {
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut text = vec![b'{'];
            let len = (next() >> 32) % 300;
            for _ in 0..len {
                text.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            // Closed at the end, unless it closes sooner: the string, then every bracket.
            let (mut depth, mut in_str, mut esc) = (0usize, false, false);
            for &b in &text {
                match (in_str, esc, b) {
                    (true, true, _) => esc = false,
                    (true, false, b'\\') => esc = true,
                    (true, false, b'"') | (false, _, b'"') => in_str = !in_str,
                    (false, _, b'{' | b'[') => depth += 1,
                    (false, _, b'}' | b']') => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            if in_str {
                text.extend_from_slice(if esc { b"a\"" } else { b"\"" });
            }
            text.extend(std::iter::repeat_n(b'}', depth));
            if check(&text).is_some_and(|end| end > 64) {
                ended_past_a_block += 1;
            }
        }
        // Not only unterminated documents: enough end where the block scan decides.
        assert!(
            ended_past_a_block >= 500,
            "{ended_past_a_block} ended past 64 bytes"
        );
    }
}
