//! How fast each business number may send: its throughput level's pace (80 messages a second,
//! or 1,000 at Meta's `HIGH` level), unless the operator set one pace for all
//! (`PARLEY_SEND_RATE`).

use parley_app::numbers::send_rate;
use std::collections::HashMap;
use std::sync::RwLock;

pub struct SendRates {
    configured: Option<u32>,
    /// Each number's pace from its throughput level, as the last refresh read it.
    by_number: RwLock<HashMap<String, u32>>,
}

impl SendRates {
    pub fn new(configured: Option<u32>) -> Self {
        SendRates {
            configured,
            by_number: RwLock::new(HashMap::new()),
        }
    }

    /// Messages a second `number` may start.
    pub fn of(&self, number: &str) -> u32 {
        match self.configured {
            Some(rate) => rate,
            None => self
                .by_number
                .read()
                .expect("send rates")
                .get(number)
                .copied()
                .unwrap_or_else(|| send_rate(None, None)),
        }
    }

    /// The fastest pace any number has: what the sender keeps work in hand for.
    pub fn fastest(&self) -> u32 {
        match self.configured {
            Some(rate) => rate,
            None => self
                .by_number
                .read()
                .expect("send rates")
                .values()
                .copied()
                .max()
                .unwrap_or_else(|| send_rate(None, None)),
        }
    }

    /// Learns a number's throughput level (`STANDARD`, `HIGH`).
    pub fn set_throughput(&self, number: &str, level: Option<&str>) {
        self.by_number
            .write()
            .expect("send rates")
            .insert(number.to_owned(), send_rate(level, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_pace_wins_over_throughput_levels() {
        let learned = SendRates::new(None);
        assert_eq!((learned.of("1"), learned.fastest()), (80, 80));
        learned.set_throughput("1", Some("HIGH"));
        learned.set_throughput("2", Some("STANDARD"));
        assert_eq!(
            (learned.of("1"), learned.of("2"), learned.fastest()),
            (1000, 80, 1000)
        );
        let configured = SendRates::new(Some(20));
        configured.set_throughput("1", Some("HIGH"));
        assert_eq!((configured.of("1"), configured.fastest()), (20, 20));
    }
}
