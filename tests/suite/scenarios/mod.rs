//! Handler scenarios: the files in events/ through the whole function, against the fakes of `World`.

mod delivery;
mod discovery;
mod pipeline;
mod sweep;
mod trust;

use serde_json::Value;

fn outcomes(answer: &Value) -> &Vec<Value> {
    answer["outcomes"].as_array().expect("an outcomes list")
}
