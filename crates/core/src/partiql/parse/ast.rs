//! The syntax tree of a PartiQL statement, as `parse` builds it and the
//! planner and the translation into DynamoDB expressions read it.

use dynalith_expr::ast::CompareOp;
use dynalith_model::AttributeValue;

/// One element of a document path.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Name(String),
    Index(u32),
}

pub type Path = Vec<Step>;

/// An operand or a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Path(Path),
    Value(AttributeValue),
    /// The `n`th `?` of the statement (from 0).
    Parameter(usize),
    /// The comparisons of DynamoDB's expression language, the same six.
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    /// `path IS [NOT] MISSING`: whether the attribute is absent.
    Missing(Path, bool),
    /// `path IS [NOT] NULL`: whether the attribute is of type NULL.
    Null(Path, bool),
    Call(String, Vec<Expr>),
    /// `a + b` or `a - b` (in SET; the operators DynamoDB does not run,
    /// `*`, `/`, `%` and `||`, parse to be refused by name).
    Arithmetic(Box<Expr>, &'static str, Box<Expr>),
}

/// One key of `ORDER BY`: a path (the planner checks that it names a key
/// attribute) and its direction.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderKey {
    pub path: Path,
    pub descending: bool,
}

/// What a write statement returns (`RETURNING ... *`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Returning {
    AllOld,
    ModifiedOld,
    AllNew,
    ModifiedNew,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select {
        /// None for `*`.
        projection: Option<Vec<Path>>,
        table: String,
        index: Option<String>,
        condition: Option<Expr>,
        /// `ORDER BY`'s keys, in the order written.
        order_by: Vec<OrderKey>,
    },
    Insert {
        table: String,
        item: Expr,
        /// Whether a RETURNING clause follows, which an INSERT parses and
        /// then refuses (once its item's key is checked).
        returning: bool,
    },
    Update {
        table: String,
        set: Vec<(Path, Expr)>,
        remove: Vec<Path>,
        condition: Expr,
        returning: Option<Returning>,
    },
    /// `EXISTS(SELECT ...)`: a transaction's condition check.
    Exists(Box<Statement>),
    Delete {
        table: String,
        condition: Expr,
        returning: Option<Returning>,
    },
}
