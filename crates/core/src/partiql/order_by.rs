//! A SELECT's `ORDER BY`. DynamoDB orders only by key attributes of the
//! table or index read, and only when the WHERE clause names the partitions
//! to read (`=` or `IN` on the partition key, or an `OR` of those): items
//! come in key order within each partition, ascending or descending, and
//! the partitions in the order of their keys, as the partition key's entry
//! says (`ops/statement_partitions.rs`). So within a partition `ORDER BY`
//! comes down to one direction: that of the sort key's entry, or of the
//! first entry when the sort key is not named.

use super::parse::{Expr, OrderKey, Step};
use super::translate::{self, is_attribute, is_value};
use crate::catalog::KeySchema;
use dynalith_expr::ast::CompareOp;
use dynalith_model::DynamoError;

/// Whether the SELECT reads in descending key order, after DynamoDB's
/// checks of its ORDER BY clause (in DynamoDB's order of them).
pub fn descending(
    order_by: &[OrderKey],
    condition: Option<&Expr>,
    keys: &KeySchema,
) -> Result<bool, DynamoError> {
    let Some(first) = order_by.first() else {
        return Ok(false);
    };
    let Some(condition) = condition else {
        return Err(DynamoError::validation(
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ));
    };
    let partition = keys.partition.name.as_str();
    if !translate::conjuncts(condition)
        .iter()
        .any(|c| names_partitions(c, partition))
    {
        return Err(DynamoError::validation(
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
        ));
    }
    for key in order_by {
        let [Step::Name(name)] = key.path.as_slice() else {
            return Err(DynamoError::validation(
                "Argument to ORDER BY must be of type VariableReference. Type: PATH",
            ));
        };
        if !keys.is_key_attribute(name) {
            return Err(DynamoError::validation(format!(
                "Variable reference {name} in ORDER BY clause must be part of the primary key"
            )));
        }
    }
    let sort = keys.sort.as_ref().map(|s| s.name.as_str());
    let direction = order_by
        .iter()
        .find(|k| matches!(k.path.as_slice(), [Step::Name(n)] if Some(n.as_str()) == sort))
        .unwrap_or(first);
    Ok(direction.descending)
}

/// Whether the partitions a SELECT names are read in descending order of
/// their keys: as ORDER BY orders the partition key, ascending when it
/// does not name it (DynamoDB Local's order; `ORDER BY sk DESC` reads the
/// partitions ascending, each from its last item).
pub fn partitions_descending(order_by: &[OrderKey], keys: &KeySchema) -> bool {
    let partition = keys.partition.name.as_str();
    order_by
        .iter()
        .find(|k| matches!(k.path.as_slice(), [Step::Name(n)] if n == partition))
        .is_some_and(|k| k.descending)
}

/// Whether `condition` fixes the partitions read: `=` or `IN` on the
/// partition key with values, or an `OR` of such conditions.
fn names_partitions(condition: &Expr, partition: &str) -> bool {
    match condition {
        Expr::Compare(left, CompareOp::Eq, right) => {
            is_attribute(left, partition) && is_value(right)
                || is_attribute(right, partition) && is_value(left)
        }
        Expr::In(subject, options) => {
            is_attribute(subject, partition) && options.iter().all(is_value)
        }
        Expr::Or(left, right) => {
            names_partitions(left, partition) && names_partitions(right, partition)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{KeyAttribute, ScalarType};
    use crate::partiql::parse::{parse, Statement};

    fn keys() -> KeySchema {
        let key = |name: &str| KeyAttribute {
            name: name.into(),
            scalar_type: ScalarType::S,
        };
        KeySchema::single(key("pk"), Some(key("sk")))
    }

    fn direction(statement: &str) -> Result<bool, String> {
        let Statement::Select {
            condition,
            order_by,
            ..
        } = parse(statement).unwrap()
        else {
            panic!("not a select");
        };
        descending(&order_by, condition.as_ref(), &keys()).map_err(|e| e.message)
    }

    #[test]
    fn the_sort_key_entry_sets_the_direction() {
        assert_eq!(direction("SELECT * FROM t WHERE pk = 'a'"), Ok(false));
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY sk"),
            Ok(false)
        );
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY sk DESC"),
            Ok(true)
        );
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY pk, sk DESC"),
            Ok(true)
        );
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY pk DESC, sk ASC"),
            Ok(false)
        );
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY pk DESC"),
            Ok(true)
        );
    }

    #[test]
    fn several_partitions_may_be_named() {
        assert_eq!(
            direction("SELECT * FROM t WHERE pk IN ['a', 'b'] AND x = 1 ORDER BY sk DESC"),
            Ok(true)
        );
        assert_eq!(
            direction("SELECT * FROM t WHERE (pk = 'a' OR pk = ?) ORDER BY sk"),
            Ok(false)
        );
    }

    #[test]
    fn refusals_come_in_dynamodbs_order() {
        assert_eq!(
            direction("SELECT * FROM t ORDER BY a.b").unwrap_err(),
            "Must have WHERE clause in the statement when using ORDER BY clause."
        );
        for statement in [
            "SELECT * FROM t WHERE x = 'a' ORDER BY x",
            "SELECT * FROM t WHERE sk = 1 ORDER BY sk",
            "SELECT * FROM t WHERE pk = 'a' OR x = 1 ORDER BY sk",
            "SELECT * FROM t WHERE pk > 'a' ORDER BY sk",
            "SELECT * FROM t WHERE NOT pk = 'a' ORDER BY sk",
        ] {
            assert_eq!(
                direction(statement).unwrap_err(),
                "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
                "{statement}"
            );
        }
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY m[0]").unwrap_err(),
            "Argument to ORDER BY must be of type VariableReference. Type: PATH"
        );
        assert_eq!(
            direction("SELECT * FROM t WHERE pk = 'a' ORDER BY sk, x").unwrap_err(),
            "Variable reference x in ORDER BY clause must be part of the primary key"
        );
    }
}
