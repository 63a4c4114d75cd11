//! Valid standard-spec units for every exchanging pair, made once before the run by the scale generator so
//! that every upload costs the relay a real validation and nothing is generated while measuring.

use std::collections::HashMap;
use std::sync::Arc;

use conformance::synth::corpus::scale_exchanges;
use sha2::{Digest, Sha256};

use crate::population::Population;
use crate::LoadError;

/// The files of one send, with the SHA-256 the sender computed for each.
#[derive(Debug, Clone)]
pub struct Payload {
    pub files: Vec<(String, Vec<u8>)>,
    pub digests: Vec<[u8; 32]>,
}

impl Payload {
    pub fn new(files: Vec<(String, Vec<u8>)>) -> Payload {
        let digests = files.iter().map(|(_, bytes)| Sha256::digest(bytes).into()).collect();
        Payload { files, digests }
    }

    pub fn bytes(&self) -> usize {
        self.files.iter().map(|(_, b)| b.len()).sum()
    }
}

/// The ticket a care manager sends and the actuals its provider returns.
#[derive(Debug, Clone)]
pub struct ExchangePayloads {
    pub ticket: Payload,
    pub actuals: Payload,
}

/// Pre-generated units per (care manager number, provider number).
pub struct Payloads {
    by_pair: HashMap<(String, String), Arc<Vec<ExchangePayloads>>>,
}

impl Payloads {
    /// `units_per_pair` units of `users_per_unit` users each for every pair of `population`.
    pub fn generate(
        population: &Population,
        units_per_pair: usize,
        users_per_unit: usize,
    ) -> Result<Payloads, LoadError> {
        let mut by_pair = HashMap::new();
        for (index, (k, p)) in population.pairs().into_iter().enumerate() {
            let (care_manager, provider) = (&population.care_managers[k], &population.providers[p]);
            let units = scale_exchanges(units_per_pair * users_per_unit, users_per_unit, index as u64 + 1, |_| {
                (care_manager.clone(), provider.clone())
            })?;
            let encode = |files: &[conformance::synth::GeneratedFile]| -> Result<Payload, LoadError> {
                Ok(Payload::new(
                    files.iter().map(|f| Ok((f.name.clone(), f.bytes()?))).collect::<Result<_, LoadError>>()?,
                ))
            };
            let units = units
                .iter()
                .map(|unit| {
                    Ok(ExchangePayloads {
                        ticket: encode(&unit.ticket)?,
                        actuals: encode(std::slice::from_ref(&unit.actuals))?,
                    })
                })
                .collect::<Result<Vec<_>, LoadError>>()?;
            by_pair.insert((care_manager.number.clone(), provider.number.clone()), Arc::new(units));
        }
        Ok(Payloads { by_pair })
    }

    /// The units between a care manager and a provider (empty when they do not exchange).
    pub fn between(&self, care_manager: &str, provider: &str) -> Arc<Vec<ExchangePayloads>> {
        self.by_pair.get(&(care_manager.to_string(), provider.to_string())).cloned().unwrap_or_default()
    }

    /// Mean bytes of a ticket send.
    pub fn mean_ticket_bytes(&self) -> usize {
        let (total, count) = self
            .by_pair
            .values()
            .flat_map(|units| units.iter())
            .fold((0, 0), |(total, count), unit| (total + unit.ticket.bytes(), count + 1));
        total / count.max(1)
    }
}
