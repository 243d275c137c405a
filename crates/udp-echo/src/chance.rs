//! Heads or tails for `--drop-rate`: which datagrams the server drops on purpose.
//!
//! Dropping a share of datagrams needs numbers that look random, not cryptography,
//! so a dozen lines of SplitMix64 stand in for a `rand` dependency. `--seed` makes a
//! run repeatable: the same seed drops the same datagrams in the same order.

use std::time::{SystemTime, UNIX_EPOCH};

/// A SplitMix64 random number generator.
#[derive(Clone, Debug)]
pub struct Chance {
    state: u64,
}

impl Chance {
    /// A generator that repeats the same sequence for the same seed.
    pub fn new(seed: u64) -> Chance {
        Chance { state: seed }
    }

    /// A generator seeded from the clock and the process id: different every run.
    pub fn from_clock() -> Chance {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos() as u64);
        Chance::new(nanos ^ (u64::from(std::process::id()) << 32))
    }

    /// The next 64 random bits (SplitMix64, by Sebastiano Vigna).
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `p`: never for 0, always for 1.
    pub fn happens(&mut self, p: f64) -> bool {
        // The top 53 bits make a number in [0, 1) with every step an exact f64.
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_choices() {
        let draw = |seed| {
            let mut chance = Chance::new(seed);
            (0..64).map(|_| chance.happens(0.5)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn zero_never_happens_and_one_always_does() {
        let mut chance = Chance::from_clock();
        assert!((0..1000).all(|_| !chance.happens(0.0)));
        assert!((0..1000).all(|_| chance.happens(1.0)));
    }

    #[test]
    fn a_rate_is_kept_over_many_draws() {
        let mut chance = Chance::new(42);
        let hits = (0..10_000).filter(|_| chance.happens(0.3)).count();
        assert!((2_800..3_200).contains(&hits), "{hits} of 10000 at p = 0.3");
    }
}
