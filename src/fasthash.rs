//! A fast, unkeyed 64-bit hasher for the process's own tables (interned strings, shared label
//! sets) and for content hashes: FxHash's rotate-xor-multiply over 8-byte words (each step a
//! bijection of the state, so any one changed word changes the result), then murmur3's 64-bit
//! finalizer to spread it over every bit (hashbrown reads the top seven bits as a tag).
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

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

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
    fn the_top_bits_vary_with_the_input() {
        // hashbrown takes its tag from the top seven bits: sequential names must spread there.
        let tags: std::collections::HashSet<u64> = (0..1000)
            .map(|i| hash(&format!("node-{i}")) >> 57)
            .collect();
        assert!(tags.len() > 100, "{} distinct tags", tags.len());
    }
}
