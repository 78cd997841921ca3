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
    /// How many nodes send on each number (see `sharing`); absent: this node alone.
    senders: RwLock<HashMap<String, u32>>,
}

impl SendRates {
    pub fn new(configured: Option<u32>) -> Self {
        SendRates {
            configured,
            by_number: RwLock::new(HashMap::new()),
            senders: RwLock::new(HashMap::new()),
        }
    }

    /// Messages a second this node may start on `number`: its share of the number's pace.
    pub fn of(&self, number: &str) -> u32 {
        let senders = self
            .senders
            .read()
            .expect("send rates")
            .get(number)
            .copied()
            .unwrap_or(1)
            .max(1);
        (self.of_number(number) / senders).max(1)
    }

    /// The numbers whose pace is known here.
    pub fn numbers(&self) -> Vec<String> {
        let mut numbers: Vec<String> = self
            .by_number
            .read()
            .expect("send rates")
            .keys()
            .cloned()
            .collect();
        numbers.extend(self.senders.read().expect("send rates").keys().cloned());
        numbers.sort();
        numbers.dedup();
        numbers
    }

    /// How many nodes send on each number now (the numbers left out: this node alone).
    pub fn set_senders(&self, senders: Vec<(String, i64)>) {
        *self.senders.write().expect("send rates") = senders
            .into_iter()
            .map(|(number, count)| (number, u32::try_from(count.max(1)).unwrap_or(u32::MAX)))
            .collect();
    }

    /// Messages a second `number` may start, on all nodes together.
    fn of_number(&self, number: &str) -> u32 {
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

    #[test]
    fn nodes_sending_on_one_number_share_its_pace() {
        let rates = SendRates::new(None);
        rates.set_throughput("1", Some("HIGH"));
        rates.set_senders(vec![("1".into(), 3), ("2".into(), 2)]);
        assert_eq!((rates.of("1"), rates.of("2")), (333, 40));
        // The whole rate again once the others stop.
        rates.set_senders(vec![("1".into(), 1)]);
        assert_eq!((rates.of("1"), rates.of("2")), (1000, 80));
        let slow = SendRates::new(Some(1));
        slow.set_senders(vec![("1".into(), 4)]);
        assert_eq!(slow.of("1"), 1, "never stopped");
    }
}
