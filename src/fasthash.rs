//! A fast, unkeyed 64-bit hasher for the process's own tables (interned strings, shared label
//! sets) and for content hashes: each 8-byte word XORed into the state, which is then multiplied
//! by a constant into 128 bits and folded (foldhash's and wyhash's mixing step), then murmur3's
//! 64-bit finalizer to spread it over every bit (hashbrown reads the top seven bits as a tag).
//! FxHash's rotate-xor-multiply, used before, collided on sequential names (2,400 of 220,000
//! node and pod names in `sequential_names_do_not_collide`): fatal for a content hash, which
//! would take an edited copy of an object for a repeat.
//!
//! SipHash, the standard library's default, resists inputs chosen to collide; nothing here
//! needs that (the inputs are one cluster's names and labels, read once by a command-line
//! run), and it cost a third of the time of reading a dump (BENCHMARKS.md, "the file path").

use std::hash::{BuildHasherDefault, Hasher};

/// See the module documentation.
#[derive(Clone, Copy)]
pub struct FastHasher(u64);

/// Builds [`FastHasher`]s: `HashMap<K, V, FastBuild>`.
pub type FastBuild = BuildHasherDefault<FastHasher>;

const SEED: u64 = 0x243f_6a88_85a3_08d3;
const K: u64 = 0x517c_c1b7_2722_0a95;

impl Default for FastHasher {
    fn default() -> Self {
        FastHasher(SEED)
    }
}

/// The 128-bit product of `a` and `b`, its halves folded together (as foldhash and wyhash mix):
/// a difference anywhere in `a` reaches every bit. A plain multiplication keeps a difference in
/// the top bits of a word there (`(x + (d << 56)) * K` differs from `x * K` in the top byte only),
/// and sequential names such as `node-00044` and `node-00844` collided through it.
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = fold(self.0 ^ w, K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes([
                w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
            ]));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn write_u32(&mut self, w: u32) {
        self.add(u64::from(w));
    }

    fn write_u64(&mut self, w: u64) {
        self.add(w);
    }

    fn write_usize(&mut self, w: usize) {
        self.add(w as u64);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A hash of a long run of bytes (a dump's item, to tell a repeat of it): two independent
/// lanes, each taking 16 bytes a multiplication (foldhash's and wyhash's step for long inputs:
/// one word XORed into the lane, the other into a constant, their 128-bit product folded), then
/// the plain hasher over the lanes, the tail and the length. Each constant holds bytes that no
/// UTF-8 text holds (0xc1, 0xf5, 0xf7), so that in the texts hashed here the word XORed into it
/// is never zero: a zero factor would drop the lane's past. Twice as fast as a multiplication
/// every 8 bytes, which was 3 % of the CPU of reading a JSON dump and 7 % of a YAML one.
pub fn bytes_hash(bytes: &[u8]) -> u64 {
    const K1: u64 = 0xc1a2_b3c4_d5e6_f701;
    const K2: u64 = 0xf5c1_9d8e_7b6a_5e4d;
    let mut lanes = [SEED, SEED ^ K];
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes"));
        lanes[0] = fold(lanes[0] ^ w(0), w(1) ^ K1);
        lanes[1] = fold(lanes[1] ^ w(2), w(3) ^ K2);
    }
    let mut h = FastHasher::default();
    for lane in lanes {
        h.add(lane);
    }
    h.write(blocks.remainder());
    h.add(bytes.len() as u64);
    h.finish()
}

/// Bytes a text is looked up by in [`prefix_slot`]; only texts at least as long are looked up.
pub const PREFIX_BYTES: usize = 32;

/// The slot (of `slots`, a power of two) for a text that starts like `rest`: four words of its
/// first [`PREFIX_BYTES`] bytes folded (a collision costs a comparison, not a wrong answer);
/// `None` where `rest` is shorter. Used by the file readers' memories of text read before.
pub fn prefix_slot(rest: &[u8], slots: usize) -> Option<usize> {
    let prefix = rest.get(..PREFIX_BYTES)?;
    let word = |at: usize| u64::from_le_bytes(prefix[at..at + 8].try_into().expect("8 bytes"));
    let mixed = (word(0) ^ word(8).rotate_left(17) ^ word(16).rotate_left(31))
        .wrapping_add(word(PREFIX_BYTES - 8))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    Some((mixed >> 40) as usize & (slots - 1))
}

/// Whether `rest` starts with `known` (at least [`PREFIX_BYTES`] long), its end compared first:
/// texts that differ from object to object (a token volume's name, a node's name) mostly differ
/// near their end.
pub fn starts_with_ends_first(rest: &[u8], known: &[u8]) -> bool {
    let tail = known.len() - PREFIX_BYTES;
    rest.get(..known.len())
        .is_some_and(|r| r[tail..] == known[tail..] && r == known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    #[test]
    fn a_remembered_text_is_found_only_where_every_byte_is_the_same() {
        let known = b"0123456789abcdefghijklmnopqrstuvwxyz-and-more-text".to_vec();
        let mut rest = known.clone();
        rest.extend_from_slice(b", what follows");
        assert!(starts_with_ends_first(&rest, &known));
        assert!(!starts_with_ends_first(&known[..known.len() - 1], &known));
        for at in 0..known.len() {
            let mut other = rest.clone();
            other[at] ^= 1;
            assert!(!starts_with_ends_first(&other, &known), "{at}");
        }
        assert_eq!(prefix_slot(&known[..PREFIX_BYTES - 1], 4096), None);
        let slot = prefix_slot(&rest, 4096).unwrap();
        assert!(slot < 4096);
        assert_eq!(
            prefix_slot(&known, 4096),
            Some(slot),
            "the first bytes alone decide"
        );
    }

    fn hash<T: Hash + ?Sized>(v: &T) -> u64 {
        FastBuild::default().hash_one(v)
    }

    #[test]
    fn one_changed_byte_or_length_changes_the_hash() {
        let base = "node-pool-a-0001.europe-west4-b.internal";
        let h = hash(base);
        assert_eq!(h, hash(&base.to_string()), "str and String hash alike");
        for i in 0..base.len() {
            let mut changed = base.as_bytes().to_vec();
            changed[i] ^= 1;
            assert_ne!(h, hash(&changed[..]), "byte {i}");
        }
        // Zero padding of the last word must not make a shorter string collide.
        assert_ne!(hash(&[1u8, 0][..]), hash(&[1u8][..]));
        assert_ne!(hash(""), hash("\0"));
    }

    #[test]
    fn one_changed_byte_anywhere_changes_the_bytes_hash() {
        let base: Vec<u8> = (0..200u8).collect();
        for len in [0, 1, 31, 32, 33, 64, 100, 200] {
            let text = &base[..len];
            let h = bytes_hash(text);
            for i in 0..len {
                let mut changed = text.to_vec();
                changed[i] ^= 0x40;
                assert_ne!(h, bytes_hash(&changed), "length {len}, byte {i}");
            }
            if len > 0 {
                assert_ne!(h, bytes_hash(&text[..len - 1]), "length {len}");
            }
        }
        // Swapped words differ, within a lane's 16 bytes and across lanes.
        for (a, b) in [(0, 8), (0, 16), (8, 24), (0, 32)] {
            let mut swapped = base[..64].to_vec();
            swapped[a..a + 8].copy_from_slice(&base[b..b + 8]);
            swapped[b..b + 8].copy_from_slice(&base[a..a + 8]);
            assert_ne!(bytes_hash(&base[..64]), bytes_hash(&swapped), "{a} and {b}");
        }
    }

    /// Names as clusters number them, and namespaced pod names, hash apart (all 64 bits, and
    /// their low 32 bits about as often as chance allows).
    #[test]
    fn sequential_names_do_not_collide() {
        let mut names: Vec<String> = (0..100_000).map(|i| format!("node-{i:05}")).collect();
        names.extend((0..100_000).map(|i| format!("kube-system/ds-{}-{i:x}", i % 40)));
        names.extend((0..20_000).map(|i| format!("ip-10-0-{}-{}.ec2.internal", i / 256, i % 256)));
        let full: std::collections::HashSet<u64> = names.iter().map(|n| hash(n.as_str())).collect();
        assert_eq!(full.len(), names.len());
        let low: std::collections::HashSet<u32> =
            names.iter().map(|n| hash(n.as_str()) as u32).collect();
        // 220,000 random 32-bit values give about 5.6 collisions.
        assert!(
            names.len() - low.len() < 40,
            "{} low collisions",
            names.len() - low.len()
        );
        let bytes: std::collections::HashSet<u64> =
            names.iter().map(|n| bytes_hash(n.as_bytes())).collect();
        assert_eq!(bytes.len(), names.len());
    }

    /// Items as dumps hold them (one template, a name, a UID and a node that differ at
    /// different offsets, so that each lands in every word of both lanes) hash apart.
    #[test]
    fn items_that_differ_in_a_few_bytes_do_not_collide() {
        let template = "x".repeat(37);
        let hashes: std::collections::HashSet<u64> = (0..100_000u32)
            .map(|i| {
                let item = format!(
                    r#"{{"metadata":{{"name":"ds-{}-{i:x}","uid":"{:08x}-4a52"}},"{}":"{template}","nodeName":"node-{:05}"}}"#,
                    i % 40,
                    i.wrapping_mul(2_654_435_761),
                    &template[..(i % 29) as usize],
                    i / 20
                );
                bytes_hash(item.as_bytes())
            })
            .collect();
        assert_eq!(hashes.len(), 100_000);
    }

    #[test]
    fn the_top_bits_vary_with_the_input() {
        // hashbrown takes its tag from the top seven bits: sequential names must spread there.
        let tags: std::collections::HashSet<u64> = (0..1000)
            .map(|i| hash(&format!("node-{i}")) >> 57)
            .collect();
        assert!(tags.len() > 100, "{} distinct tags", tags.len());
    }
}
