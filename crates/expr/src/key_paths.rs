//! Key attributes are scalars, so DynamoDB rejects an expression that reads
//! inside one (`pk.x`, `pk[0]`) before evaluating anything, naming the
//! first such key in key-schema order. Only paths an expression reads
//! count: an update that writes `pk.x` gets "Cannot update attribute pk"
//! instead.

use crate::ast::{Clause, Condition, Operand, Path, PathElement, SetValue};
use crate::bindings::Bindings;
use dynalith_model::DynamoError;

/// `Err` when a path in `paths` goes inside one of `key_attributes`.
pub(crate) fn check(
    paths: &[&Path],
    bindings: &Bindings<'_>,
    key_attributes: &[&str],
) -> Result<(), DynamoError> {
    for key in key_attributes {
        for path in paths {
            if let [PathElement::Name(name), _, ..] = path.elements.as_slice() {
                if bindings.resolve(name)? == *key {
                    return Err(DynamoError::validation(format!(
                        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {key}"
                    )));
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn condition_paths<'p>(condition: &'p Condition, out: &mut Vec<&'p Path>) {
    match condition {
        Condition::Compare(_, a, b) => {
            operand_paths(a, out);
            operand_paths(b, out);
        }
        Condition::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| operand_paths(o, out)),
        Condition::In(a, list) => {
            operand_paths(a, out);
            list.iter().for_each(|o| operand_paths(o, out));
        }
        Condition::Call(call) => call.args.iter().for_each(|o| operand_paths(o, out)),
        Condition::Not(inner) => condition_paths(inner, out),
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_paths(a, out);
            condition_paths(b, out);
        }
    }
}

/// The paths SET values read (targets excluded).
pub(crate) fn update_read_paths<'p>(clauses: &'p [Clause], out: &mut Vec<&'p Path>) {
    for clause in clauses {
        if let Clause::Set(actions) = clause {
            for action in actions {
                match &action.value {
                    SetValue::Operand(o) => operand_paths(o, out),
                    SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                        operand_paths(a, out);
                        operand_paths(b, out);
                    }
                }
            }
        }
    }
}

fn operand_paths<'p>(operand: &'p Operand, out: &mut Vec<&'p Path>) {
    match operand {
        Operand::Path(path) => out.push(path),
        Operand::Value(_) => {}
        Operand::Call(call) => call.args.iter().for_each(|o| operand_paths(o, out)),
    }
}
