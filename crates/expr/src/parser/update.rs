//! The update grammar:
//!
//! ```text
//! update     := clause+
//! clause     := SET set_action (',' set_action)*
//!             | REMOVE path (',' path)*
//!             | ADD path :value (',' path :value)*
//!             | DELETE path :value (',' path :value)*
//! set_action := path '=' set_value
//! set_value  := operand | operand ('+' | '-') operand | '(' set_value ')'
//! ```
//!
//! Arithmetic takes exactly two operands: `a + b + c` and `(a + b) + c`
//! are syntax errors in DynamoDB, while `(a) + b` is fine.

use super::{Ctx, Parser};
use crate::ast::{Clause, Operand, SetAction, SetValue, ValueAction};
use crate::error::ExpressionKind;
use crate::lexer::Tok;
use dynalith_model::DynamoError;

pub(crate) fn parse_update_text(text: &str) -> Result<Vec<Clause>, DynamoError> {
    let mut p = Parser::new(text, ExpressionKind::Update);
    let mut clauses: Vec<Clause> = Vec::new();
    loop {
        let keyword = p.peek();
        let at = p.token().start;
        let name = match keyword {
            Tok::Set => "SET",
            Tok::Remove => "REMOVE",
            Tok::Add => "ADD",
            Tok::Delete => "DELETE",
            Tok::Eof if !clauses.is_empty() => break,
            _ => return Err(p.syntax_error()),
        };
        p.advance();
        let clause = match keyword {
            Tok::Set => Clause::Set(list(&mut p, parse_set_action)?),
            Tok::Remove => Clause::Remove(list(&mut p, |p| p.parse_path())?),
            Tok::Add => Clause::Add(list(&mut p, parse_value_action)?),
            _ => Clause::Delete(list(&mut p, parse_value_action)?),
        };
        if clauses
            .iter()
            .any(|c| std::mem::discriminant(c) == std::mem::discriminant(&clause))
        {
            p.defer(
                at,
                format!("The \"{name}\" section can only be used once in an update expression;"),
            );
        }
        clauses.push(clause);
    }
    p.finish(clauses)
}

fn list<T>(
    p: &mut Parser<'_>,
    item: impl Fn(&mut Parser<'_>) -> Result<T, DynamoError>,
) -> Result<Vec<T>, DynamoError> {
    let mut items = vec![item(p)?];
    while p.eat(Tok::Comma) {
        items.push(item(p)?);
    }
    Ok(items)
}

fn parse_value_action(p: &mut Parser<'_>) -> Result<ValueAction, DynamoError> {
    let path = p.parse_path()?;
    if p.peek() != Tok::ValueSub {
        return Err(p.syntax_error());
    }
    let value = p.token_text().to_string();
    p.advance();
    Ok(ValueAction { path, value })
}

fn parse_set_action(p: &mut Parser<'_>) -> Result<SetAction, DynamoError> {
    let path = p.parse_path()?;
    p.expect(Tok::Eq)?;
    let value = match parse_set_value(p, false)? {
        Node::Value(value) => value,
        Node::Operand(..) => return Err(p.syntax_error()),
    };
    Ok(SetAction { path, value })
}

enum Node {
    Value(SetValue),
    /// A lone operand inside parentheses: arithmetic may still follow the
    /// closing parenthesis. Carries its function name's position.
    Operand(Operand, Option<usize>),
}

fn parse_set_value(p: &mut Parser<'_>, in_group: bool) -> Result<Node, DynamoError> {
    let (left, left_at) = if p.peek() == Tok::LParen {
        let open = p.open_group()?;
        let inner = parse_set_value(p, true)?;
        p.close_group(open)?;
        match inner {
            Node::Value(value) => return Ok(Node::Value(value)),
            Node::Operand(operand, at) => (operand, at),
        }
    } else {
        p.parse_operand(None)?
    };
    let op = p.peek();
    if matches!(op, Tok::Plus | Tok::Minus) {
        check(p, &left, left_at, Ctx::UpdateNested);
        p.advance();
        let (right, _) = p.parse_operand(Some(Ctx::UpdateNested))?;
        return Ok(Node::Value(if op == Tok::Plus {
            SetValue::Plus(left, right)
        } else {
            SetValue::Minus(left, right)
        }));
    }
    if in_group {
        return Ok(Node::Operand(left, left_at));
    }
    check(p, &left, left_at, Ctx::UpdateTop);
    Ok(Node::Value(SetValue::Operand(left)))
}

fn check(p: &mut Parser<'_>, operand: &Operand, at: Option<usize>, ctx: Ctx) {
    if let (Operand::Call(call), Some(at)) = (operand, at) {
        p.check_use(call.function, at, Some(ctx));
    }
}
