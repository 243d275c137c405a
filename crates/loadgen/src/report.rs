//! What a run prints: one `key=value` line that scripts/bench.sh reads, and the
//! latency percentiles that go into it.

use std::fmt::{Display, Write as _};
use std::time::Duration;

/// The one summary line of a run: `loadgen <kind> key=value key=value ...`.
/// Values never contain spaces, so `grep -o 'rate=[^ ]*'` finds one.
pub struct Summary {
    line: String,
}

impl Summary {
    pub fn new(kind: &str) -> Summary {
        Summary {
            line: format!("loadgen {kind}"),
        }
    }

    /// Adds `key=value`.
    pub fn put(mut self, key: &str, value: impl Display) -> Summary {
        let _ = write!(self.line, " {key}={value}");
        self
    }

    /// Adds a number with `decimals` digits after the point.
    pub fn num(self, key: &str, value: f64, decimals: usize) -> Summary {
        self.put(key, format!("{value:.decimals$}"))
    }

    /// The line as printed.
    pub fn line(&self) -> &str {
        &self.line
    }
}

/// Round-trip times, kept whole (a run holds at most a few million) so the
/// percentiles are exact rather than read off a histogram.
#[derive(Default)]
pub struct Latencies {
    micros: Vec<u32>,
}

impl Latencies {
    pub fn record(&mut self, took: Duration) {
        self.micros
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    /// The `p`th percentile in microseconds, by nearest rank (0 when empty).
    pub fn percentile(&mut self, p: f64) -> u32 {
        if self.micros.is_empty() {
            return 0;
        }
        self.micros.sort_unstable();
        let n = self.micros.len();
        // Nearest rank: the smallest value with at least p% of the samples at or below it.
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.micros[rank.clamp(1, n) - 1]
    }

    /// Adds `p50_us` and `p99_us` to a summary.
    pub fn put_into(mut self, summary: Summary) -> Summary {
        let p50 = self.percentile(50.0);
        let p99 = self.percentile(99.0);
        summary.put("p50_us", p50).put("p99_us", p99)
    }
}

/// `count / seconds`, 0 for an empty interval.
pub fn per_second(count: u64, took: Duration) -> f64 {
    let seconds = took.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut lat = Latencies::default();
        assert_eq!(lat.percentile(50.0), 0);
        for us in (1..=100).rev() {
            lat.record(Duration::from_micros(us));
        }
        assert_eq!(lat.percentile(50.0), 50);
        assert_eq!(lat.percentile(99.0), 99);
        assert_eq!(lat.percentile(100.0), 100);
        assert_eq!(lat.percentile(0.0), 1);
    }

    #[test]
    fn the_summary_is_one_line_of_key_value_pairs() {
        let line = Summary::new("echo")
            .put("clients", 3)
            .num("rate", 1234.567, 1);
        assert_eq!(line.line(), "loadgen echo clients=3 rate=1234.6");
        assert_eq!(per_second(10, Duration::from_millis(500)), 20.0);
        assert_eq!(per_second(10, Duration::ZERO), 0.0);
    }
}
