//! The offices a load run simulates and who sends to whom. The same numbers describe the offices that
//! `cargo xtask loadtest` registers at the relay ([`Population::offices`]) and the goose users that play them.

use conformance::synth::people::Office;

/// Care managers (居宅介護支援, kind 43) and the home-help providers (訪問介護, kind 11) they send tickets to.
#[derive(Debug, Clone)]
pub struct Population {
    pub care_managers: Vec<Office>,
    pub providers: Vec<Office>,
}

/// Providers per care manager in the population: two, so that with 2.5 recipients per care manager most
/// providers hear from more than one care manager, as in the field.
const PROVIDERS_PER_CARE_MANAGER: usize = 2;

impl Population {
    pub fn new(care_managers: usize) -> Population {
        let care_managers = care_managers.max(1);
        Population {
            care_managers: (0..care_managers)
                .map(|k| Office::new("43", &format!("ケアプランセンター{}", k + 1), "13", 100_000 + k as u32))
                .collect(),
            providers: (0..care_managers * PROVIDERS_PER_CARE_MANAGER)
                .map(|j| Office::new("11", &format!("訪問介護ステーション{}", j + 1), "13", 500_000 + j as u32))
                .collect(),
        }
    }

    /// The providers care manager `k` sends tickets to: three for even `k`, two for odd (2.5 on average, the
    /// national mean of service providers per person), neighbours in launch order so a rising user count
    /// brings both ends of an exchange up together.
    pub fn providers_of(&self, care_manager: usize) -> Vec<usize> {
        let count = if care_manager.is_multiple_of(2) { 3 } else { 2 };
        let total = self.providers.len();
        (0..count.min(total)).map(|j| (care_manager * PROVIDERS_PER_CARE_MANAGER + j) % total).collect()
    }

    pub fn len(&self) -> usize {
        self.care_managers.len() + self.providers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (care manager, provider) pair that exchanges, as indices.
    pub fn pairs(&self) -> Vec<(usize, usize)> {
        (0..self.care_managers.len()).flat_map(|k| self.providers_of(k).into_iter().map(move |p| (k, p))).collect()
    }

    /// Every office, care managers first: what the relay must have registered, each with a client certificate in
    /// the PKI folder the run is given.
    pub fn offices(&self) -> impl Iterator<Item = &Office> {
        self.care_managers.iter().chain(&self.providers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn care_managers_send_to_two_and_a_half_distinct_providers_on_average() {
        let population = Population::new(10);
        assert_eq!(population.providers.len(), 20);
        let pairs = population.pairs();
        assert_eq!(pairs.len(), 25);
        for k in 0..10 {
            let mut providers = population.providers_of(k);
            providers.dedup();
            assert_eq!(providers.len(), if k.is_multiple_of(2) { 3 } else { 2 });
        }
        let numbers: std::collections::BTreeSet<&str> = population.offices().map(|o| o.number.as_str()).collect();
        assert_eq!(numbers.len(), 30, "office numbers are distinct");
    }

    #[test]
    fn a_single_care_manager_never_sends_twice_to_one_provider() {
        let population = Population::new(1);
        assert_eq!(population.providers_of(0), vec![0, 1]);
    }
}
