//! A server's resident memory and thread count, from /proc/<pid>/status (Linux).

use std::fs;

use crate::report::Summary;

/// The two lines of /proc/<pid>/status that `hold` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `VmRSS`: resident memory in KiB.
    pub rss_kib: u64,
    /// `Threads`: how many threads the process has.
    pub threads: u64,
}

impl Status {
    /// Reads the status of process `pid`.
    pub fn of(pid: u32) -> anyhow::Result<Status> {
        let path = format!("/proc/{pid}/status");
        let text = fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {path} (is process {pid} running?): {e}"))?;
        Status::parse(&text).ok_or_else(|| anyhow::anyhow!("{path} has no VmRSS or Threads line"))
    }

    fn parse(text: &str) -> Option<Status> {
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|number| number.parse().ok())
        };
        Some(Status {
            rss_kib: field("VmRSS:")?,
            threads: field("Threads:")?,
        })
    }
}

/// CPU time a process has used: in its own code (user) and in the kernel on its behalf
/// (system: syscalls, and the loopback TCP work its sends set off), in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cpu {
    pub user: f64,
    pub system: f64,
}

impl Cpu {
    pub fn total(self) -> f64 {
        self.user + self.system
    }

    fn minus(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }
}

/// CPU time process `pid` has used so far: fields 14 (utime) and 15 (stime) of
/// /proc/<pid>/stat, summed over all its threads. They count clock ticks of 1/100 s
/// (USER_HZ, 100 on every mainstream Linux).
pub fn cpu_seconds(pid: u32) -> anyhow::Result<Cpu> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {path} (is process {pid} running?): {e}"))?;
    parse_cpu(&text).ok_or_else(|| anyhow::anyhow!("{path} is not in the expected format"))
}

fn parse_cpu(stat: &str) -> Option<Cpu> {
    // The command name, field 2, is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Cpu {
        user: utime as f64 / 100.0,
        system: stime as f64 / 100.0,
    })
}

/// A process's CPU time over part of a run, to put beside the rate it achieved.
pub struct CpuMeter {
    pid: u32,
    start: Cpu,
}

impl CpuMeter {
    pub fn start(pid: u32) -> anyhow::Result<CpuMeter> {
        Ok(CpuMeter {
            pid,
            start: cpu_seconds(pid)?,
        })
    }

    /// CPU time used since `start`.
    pub fn used(&self) -> anyhow::Result<Cpu> {
        Ok(cpu_seconds(self.pid)?.minus(self.start))
    }
}

/// CPU time of the server (if its pid is known) and of the load generator over a run.
pub struct CpuUse {
    server: Option<Cpu>,
    own: Cpu,
}

impl CpuUse {
    pub fn measure(server: Option<&CpuMeter>, own: &CpuMeter) -> anyhow::Result<CpuUse> {
        Ok(CpuUse {
            server: server.map(CpuMeter::used).transpose()?,
            own: own.used()?,
        })
    }

    /// Adds the CPU microseconds per unit of work (`server_cpu_us`, of which
    /// `server_sys_us` in the kernel, and `loadgen_cpu_us`): where the two cores' time went.
    pub fn put_into(self, mut summary: Summary, units: u64) -> Summary {
        let per_unit = |seconds: f64| seconds * 1e6 / units.max(1) as f64;
        if let Some(server) = self.server {
            summary = summary.num("server_cpu_us", per_unit(server.total()), 1);
            summary = summary.num("server_sys_us", per_unit(server.system), 1);
        }
        summary.num("loadgen_cpu_us", per_unit(self.own.total()), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_threads() {
        let text = "Name:\tserver\nVmPeak:\t  9000 kB\nVmRSS:\t    2104 kB\nThreads:\t3\n";
        assert_eq!(
            Status::parse(text),
            Some(Status {
                rss_kib: 2104,
                threads: 3
            })
        );
        assert_eq!(Status::parse("Name:\tx\n"), None);
    }

    #[test]
    fn reads_cpu_ticks_past_a_name_with_spaces() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194304 100 0 0 0 250 150 0 0 20 0 1 0";
        let cpu = parse_cpu(stat).unwrap();
        assert_eq!((cpu.user, cpu.system, cpu.total()), (2.5, 1.5, 4.0));
        assert_eq!(parse_cpu("42 (x) S 1"), None);
        assert!(cpu_seconds(std::process::id()).unwrap().total() >= 0.0);
    }

    #[test]
    fn reads_this_process() {
        let me = Status::of(std::process::id()).unwrap();
        assert!(me.threads >= 1 && me.rss_kib > 0, "{me:?}");
    }
}
