//! Scenarios (being written).

use super::Scenario;

pub(crate) fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
