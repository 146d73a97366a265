//! The parsed form of expressions. Placeholders (`#name`, `:value`) stay
//! unresolved so one parse serves every request with the same text; they
//! are looked up in the request's [`crate::Bindings`] when validating and
//! evaluating.
//!
//! `Display` prints a canonical expression that parses back to the same
//! tree: single spaces, and parentheses only where precedence needs them.

use std::fmt;

/// One attribute name in a document path, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NameRef {
    /// A name written directly in the expression.
    Literal(String),
    /// `#alias`, resolved through ExpressionAttributeNames.
    Placeholder(String),
}

impl NameRef {
    pub fn as_written(&self) -> &str {
        match self {
            NameRef::Literal(s) | NameRef::Placeholder(s) => s,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathElement {
    Name(NameRef),
    /// `[n]`; DynamoDB accepts 0..=i32::MAX.
    Index(u32),
}

/// A document path such as `a.#b[2].c`. The parser guarantees the first
/// element is a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    pub elements: Vec<PathElement>,
}

/// A function of the expression language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    AttributeExists,
    AttributeNotExists,
    AttributeType,
    BeginsWith,
    Contains,
    Size,
    IfNotExists,
    ListAppend,
}

impl Function {
    /// Function names are case-sensitive in DynamoDB.
    pub fn from_name(name: &str) -> Option<Function> {
        Some(match name {
            "attribute_exists" => Function::AttributeExists,
            "attribute_not_exists" => Function::AttributeNotExists,
            "attribute_type" => Function::AttributeType,
            "begins_with" => Function::BeginsWith,
            "contains" => Function::Contains,
            "size" => Function::Size,
            "if_not_exists" => Function::IfNotExists,
            "list_append" => Function::ListAppend,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::AttributeExists => "attribute_exists",
            Function::AttributeNotExists => "attribute_not_exists",
            Function::AttributeType => "attribute_type",
            Function::BeginsWith => "begins_with",
            Function::Contains => "contains",
            Function::Size => "size",
            Function::IfNotExists => "if_not_exists",
            Function::ListAppend => "list_append",
        }
    }

    /// Functions that are conditions by themselves.
    pub fn is_boolean(self) -> bool {
        matches!(
            self,
            Function::AttributeExists
                | Function::AttributeNotExists
                | Function::AttributeType
                | Function::BeginsWith
                | Function::Contains
        )
    }

    /// Functions only update expressions may use.
    pub fn is_update_only(self) -> bool {
        matches!(self, Function::IfNotExists | Function::ListAppend)
    }

    /// How many arguments DynamoDB requires.
    pub fn arity(self) -> usize {
        match self {
            Function::AttributeExists | Function::AttributeNotExists | Function::Size => 1,
            _ => 2,
        }
    }
}

/// A function applied to arguments. The argument count is checked when
/// validating against a request, as DynamoDB does, so any count parses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    pub function: Function,
    pub args: Vec<Operand>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    Path(Path),
    /// `:value`, resolved through ExpressionAttributeValues.
    Value(String),
    Call(Call),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    Compare(CompareOp, Operand, Operand),
    /// `operand BETWEEN low AND high`
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    /// A boolean function such as `attribute_exists(a)`.
    Call(Call),
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// The right-hand side of a SET action.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SetValue {
    Operand(Operand),
    Plus(Operand, Operand),
    Minus(Operand, Operand),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SetAction {
    pub path: Path,
    pub value: SetValue,
}

/// `ADD path :value` or `DELETE path :value`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValueAction {
    pub path: Path,
    pub value: String,
}

/// One section of an update expression. Each kind appears at most once,
/// in any order; the order is kept because DynamoDB reports overlapping
/// paths in text order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Clause {
    Set(Vec<SetAction>),
    Remove(Vec<Path>),
    Add(Vec<ValueAction>),
    Delete(Vec<ValueAction>),
}

// ---------------------------------------------------------------------------
// Canonical printing.

impl fmt::Display for NameRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_written())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, element) in self.elements.iter().enumerate() {
            match element {
                PathElement::Name(name) if i == 0 => write!(f, "{name}")?,
                PathElement::Name(name) => write!(f, ".{name}")?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.function.name())?;
        write_list(f, &self.args)?;
        f.write_str(")")
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Path(path) => write!(f, "{path}"),
            Operand::Value(name) => f.write_str(name),
            Operand::Call(call) => write!(f, "{call}"),
        }
    }
}

impl Condition {
    /// Binding strength: OR < AND < NOT < everything else.
    fn precedence(&self) -> u8 {
        match self {
            Condition::Or(..) => 0,
            Condition::And(..) => 1,
            Condition::Not(..) => 2,
            _ => 3,
        }
    }

    fn write_child(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare(op, left, right) => write!(f, "{left} {} {right}", op.symbol()),
            Condition::Between(operand, low, high) => {
                write!(f, "{operand} BETWEEN {low} AND {high}")
            }
            Condition::In(operand, list) => {
                write!(f, "{operand} IN (")?;
                write_list(f, list)?;
                f.write_str(")")
            }
            Condition::Call(call) => write!(f, "{call}"),
            Condition::Not(inner) => {
                f.write_str("NOT ")?;
                inner.write_child(f, 2)
            }
            // Both are parsed left-associatively, so a right child of the
            // same kind needs parentheses to keep its shape.
            Condition::And(left, right) => {
                left.write_child(f, 1)?;
                f.write_str(" AND ")?;
                right.write_child(f, 2)
            }
            Condition::Or(left, right) => {
                left.write_child(f, 0)?;
                f.write_str(" OR ")?;
                right.write_child(f, 1)
            }
        }
    }
}

impl fmt::Display for SetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetValue::Operand(operand) => write!(f, "{operand}"),
            SetValue::Plus(left, right) => write!(f, "{left} + {right}"),
            SetValue::Minus(left, right) => write!(f, "{left} - {right}"),
        }
    }
}

impl fmt::Display for SetAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.path, self.value)
    }
}

impl fmt::Display for ValueAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.value)
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Set(actions) => {
                f.write_str("SET ")?;
                write_list(f, actions)
            }
            Clause::Remove(paths) => {
                f.write_str("REMOVE ")?;
                write_list(f, paths)
            }
            Clause::Add(actions) => {
                f.write_str("ADD ")?;
                write_list(f, actions)
            }
            Clause::Delete(actions) => {
                f.write_str("DELETE ")?;
                write_list(f, actions)
            }
        }
    }
}

pub(crate) fn write_clauses(f: &mut fmt::Formatter<'_>, clauses: &[Clause]) -> fmt::Result {
    for (i, clause) in clauses.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{clause}")?;
    }
    Ok(())
}

pub(crate) fn write_paths(f: &mut fmt::Formatter<'_>, paths: &[Path]) -> fmt::Result {
    write_list(f, paths)
}
