//! Randomness, ids and time: the seeded stream every choice comes from.

use super::*;

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The alphabet of Kubernetes' generated name suffixes and hashes (`rand.SafeEncodeString`).
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Rng {
    /// An independent stream for (seed, domain, index): adding a DaemonSet does not reshuffle
    /// the nodes, and so on.
    pub(super) fn derive(seed: u64, domain: &str, index: u64) -> Rng {
        let mut h = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
        for b in domain.bytes() {
            h = mix(h ^ u64::from(b));
        }
        Rng(mix(h ^ mix(index.wrapping_add(0x632b_e59b_d9b4_e019))))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..hi` (lo when the range is empty).
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below((hi - lo) as u64) as i64
        }
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    pub(super) fn hex(&mut self, len: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..len)
            .map(|_| HEX[self.below(16) as usize] as char)
            .collect()
    }

    pub(super) fn safe(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| SAFE[self.below(SAFE.len() as u64) as usize] as char)
            .collect()
    }

    /// A random (version 4) UUID.
    pub(super) fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let variant = ["8", "9", "a", "b"][self.below(4) as usize];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            variant,
            &h[17..20],
            &h[20..32]
        )
    }
}

/// RFC 3339 for `offset` seconds after 2026-11-01T00:00:00Z (always before [`AS_OF`]).
pub(super) fn ts(offset: i64) -> String {
    assert!(
        (0..AS_OF_OFFSET).contains(&offset),
        "timestamp offset {offset}s is outside 2026-11-01 .. {AS_OF}"
    );
    let (day, rest) = (offset / DAY, offset % DAY);
    format!(
        "2026-11-{:02}T{:02}:{:02}:{:02}Z",
        day + 1,
        rest / HOUR,
        rest % HOUR / MIN,
        rest % MIN
    )
}

/// Monotonic resourceVersions, in generation order.
pub(super) struct ResourceVersions {
    pub(super) next: u64,
    pub(super) rng: Rng,
}

impl ResourceVersions {
    pub(super) fn take(&mut self) -> String {
        self.next += 1 + self.rng.below(40);
        self.next.to_string()
    }
}
