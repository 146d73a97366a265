//! PartiQL, the SQL-like language of ExecuteStatement: a parser for the
//! statements DynamoDB accepts, and their translation into the equivalent
//! DynamoDB expressions.

mod keywords;
pub mod order_by;
pub mod parse;
pub mod plan;
pub mod translate;

use crate::Operation;

/// Whether a PartiQL request (`body` of ExecuteStatement,
/// BatchExecuteStatement or ExecuteTransaction) holds only SELECTs, which
/// a server following another on a shared schema answers itself as it
/// does Query and GetItem (`Operation::served_by_followers`). Anything it
/// cannot read as such (a malformed body or statement included) is not:
/// the leader runs it, and answers the error if there is one.
pub fn only_selects(operation: Operation, body: &[u8]) -> bool {
    let (list, member) = match operation {
        Operation::ExecuteStatement => (None, "Statement"),
        Operation::BatchExecuteStatement => (Some("Statements"), "Statement"),
        Operation::ExecuteTransaction => (Some("TransactStatements"), "Statement"),
        _ => return false,
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let select = |request: &serde_json::Value| {
        request[member]
            .as_str()
            .is_some_and(|text| matches!(parse::parse(text), Ok(parse::Statement::Select { .. })))
    };
    match list {
        None => select(&body),
        Some(list) => body[list]
            .as_array()
            .is_some_and(|requests| !requests.is_empty() && requests.iter().all(select)),
    }
}

#[cfg(test)]
mod tests {
    use super::only_selects;
    use crate::Operation;

    #[test]
    fn only_requests_of_selects_alone_are_reads() {
        let one = |text: &str| format!(r#"{{"Statement":{text:?}}}"#);
        let select = "SELECT * FROM t WHERE pk = 'a'";
        let insert = "INSERT INTO t VALUE {'pk': 'a'}";
        assert!(only_selects(
            Operation::ExecuteStatement,
            one(select).as_bytes()
        ));
        assert!(!only_selects(
            Operation::ExecuteStatement,
            one(insert).as_bytes()
        ));
        assert!(!only_selects(
            Operation::ExecuteStatement,
            one("SELEC *").as_bytes()
        ));
        assert!(!only_selects(Operation::ExecuteStatement, b"{"));
        assert!(!only_selects(Operation::ExecuteStatement, b"{}"));
        let list = |member: &str, texts: &[&str]| {
            let requests: Vec<String> = texts.iter().map(|t| one(t)).collect();
            format!(r#"{{"{member}":[{}]}}"#, requests.join(","))
        };
        for (operation, member) in [
            (Operation::BatchExecuteStatement, "Statements"),
            (Operation::ExecuteTransaction, "TransactStatements"),
        ] {
            let reads = list(member, &[select, select]);
            assert!(only_selects(operation, reads.as_bytes()));
            let mixed = list(member, &[select, insert]);
            assert!(!only_selects(operation, mixed.as_bytes()));
            assert!(!only_selects(operation, list(member, &[]).as_bytes()));
        }
        let exists = "EXISTS(SELECT * FROM t WHERE pk = 'a')";
        let checks = list("TransactStatements", &[exists]);
        assert!(!only_selects(
            Operation::ExecuteTransaction,
            checks.as_bytes()
        ));
        assert!(!only_selects(Operation::PutItem, one(select).as_bytes()));
    }
}
