//! The condition grammar (ConditionExpression, FilterExpression,
//! KeyConditionExpression):
//!
//! ```text
//! condition := condition OR condition | condition AND condition
//!            | NOT condition | '(' condition ')'
//!            | operand comparator operand
//!            | operand BETWEEN operand AND operand
//!            | operand IN '(' operand (',' operand)* ')'
//!            | function '(' operand (',' operand)* ')'
//! operand   := path | :value | function '(' ... ')' | '(' operand ')'
//! ```
//!
//! NOT binds tighter than AND, AND tighter than OR; comparisons, BETWEEN
//! and IN tighter than all three. A `(` at the start of a condition may
//! open either a parenthesized condition or a parenthesized operand (as in
//! `(a) = :v`); the parser decides once it reaches the `)`.

use super::{Ctx, Parser};
use crate::ast::{Call, CompareOp, Condition, Function, Operand};
use crate::error::ExpressionKind;
use crate::lexer::Tok;
use dynalith_model::DynamoError;

/// What a parenthesized group turned out to hold.
enum Node {
    Cond(Condition),
    /// A bare operand directly followed by `)`; the enclosing context
    /// decides whether it is compared or is a function condition. Carries
    /// the text position of its function name, if it is a call.
    Operand(Operand, Option<usize>),
}

pub(crate) fn parse_condition_text(
    text: &str,
    kind: ExpressionKind,
) -> Result<Condition, DynamoError> {
    let mut parser = Parser::new(text, kind);
    let condition = match parse_or(&mut parser, false)? {
        Node::Cond(condition) => condition,
        // Only returned inside a group; unreachable at the top level.
        Node::Operand(..) => return Err(parser.syntax_error()),
    };
    parser.finish(condition)
}

fn parse_or(p: &mut Parser<'_>, in_group: bool) -> Result<Node, DynamoError> {
    let mut left = parse_and(p, in_group)?;
    while p.peek() == Tok::Or {
        let Node::Cond(l) = left else {
            return Err(p.syntax_error());
        };
        p.advance();
        let r = parse_and_condition(p)?;
        left = Node::Cond(Condition::Or(Box::new(l), Box::new(r)));
    }
    Ok(left)
}

fn parse_and_condition(p: &mut Parser<'_>) -> Result<Condition, DynamoError> {
    match parse_and(p, false)? {
        Node::Cond(condition) => Ok(condition),
        Node::Operand(..) => Err(p.syntax_error()),
    }
}

fn parse_and(p: &mut Parser<'_>, in_group: bool) -> Result<Node, DynamoError> {
    let mut left = parse_not(p, in_group)?;
    while p.peek() == Tok::And {
        let Node::Cond(l) = left else {
            return Err(p.syntax_error());
        };
        p.advance();
        let r = parse_not_condition(p)?;
        left = Node::Cond(Condition::And(Box::new(l), Box::new(r)));
    }
    Ok(left)
}

fn parse_not_condition(p: &mut Parser<'_>) -> Result<Condition, DynamoError> {
    match parse_not(p, false)? {
        Node::Cond(condition) => Ok(condition),
        Node::Operand(..) => Err(p.syntax_error()),
    }
}

fn parse_not(p: &mut Parser<'_>, in_group: bool) -> Result<Node, DynamoError> {
    if p.peek() != Tok::Not {
        return parse_primary(p, in_group);
    }
    p.advance();
    p.enter_operator()?;
    let inner = parse_not_condition(p)?;
    p.leave_operator();
    Ok(Node::Cond(Condition::Not(Box::new(inner))))
}

fn comparator(tok: Tok) -> Option<CompareOp> {
    Some(match tok {
        Tok::Eq => CompareOp::Eq,
        Tok::Ne => CompareOp::Ne,
        Tok::Lt => CompareOp::Lt,
        Tok::Le => CompareOp::Le,
        Tok::Gt => CompareOp::Gt,
        Tok::Ge => CompareOp::Ge,
        _ => return None,
    })
}

fn parse_primary(p: &mut Parser<'_>, in_group: bool) -> Result<Node, DynamoError> {
    let (operand, call_at) = if p.peek() == Tok::LParen {
        let open = p.open_group()?;
        let inner = parse_or(p, true)?;
        p.close_group(open)?;
        match inner {
            Node::Cond(condition) => return Ok(Node::Cond(condition)),
            Node::Operand(operand, at) => (operand, at),
        }
    } else {
        p.parse_operand(None)?
    };

    let next = p.peek();
    if comparator(next).is_some() || matches!(next, Tok::Between | Tok::In) {
        // The operand is compared: a function there must be an operand one.
        if let (Operand::Call(call), Some(at)) = (&operand, call_at) {
            p.check_use(call.function, at, Some(Ctx::ConditionOperand));
        }
    }
    if let Some(op) = comparator(next) {
        p.advance();
        let (right, _) = p.parse_operand(Some(Ctx::ConditionOperand))?;
        return Ok(Node::Cond(Condition::Compare(op, operand, right)));
    }
    match next {
        Tok::Between => {
            p.advance();
            let (low, _) = p.parse_operand(Some(Ctx::ConditionOperand))?;
            p.expect(Tok::And)?;
            let (high, _) = p.parse_operand(Some(Ctx::ConditionOperand))?;
            Ok(Node::Cond(Condition::Between(operand, low, high)))
        }
        Tok::In => {
            p.advance();
            p.expect(Tok::LParen)?;
            p.enter()?;
            let mut list = vec![p.parse_operand(Some(Ctx::ConditionOperand))?.0];
            while p.eat(Tok::Comma) {
                list.push(p.parse_operand(Some(Ctx::ConditionOperand))?.0);
            }
            p.expect(Tok::RParen)?;
            p.leave();
            Ok(Node::Cond(Condition::In(operand, list)))
        }
        Tok::RParen if in_group => Ok(Node::Operand(operand, call_at)),
        _ => match (operand, call_at) {
            (Operand::Call(call), Some(at)) => {
                p.check_use(call.function, at, None);
                Ok(Node::Cond(Condition::Call(call)))
            }
            // An unknown function name, already recorded as an error.
            (_, Some(_)) => Ok(Node::Cond(Condition::Call(Call {
                function: Function::AttributeExists,
                args: Vec::new(),
            }))),
            _ => Err(p.syntax_error()),
        },
    }
}
