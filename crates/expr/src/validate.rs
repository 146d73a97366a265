//! Checks that need the request's names and values, made once per request
//! before evaluating. DynamoDB makes them in one post-order walk (an
//! operator's own checks follow its operands' checks), which decides which
//! error a request with several problems gets; this walk does the same.

use crate::ast::{
    Call, Clause, CompareOp, Condition, Function, Operand, Path, PathElement, SetValue,
};
use crate::bindings::{Bindings, Usage};
use crate::error::{
    incorrect_operand_type, invalid, not_distinct, undefined_name, undefined_value, ExpressionKind,
};
use dynalith_model::{AttributeValue, DynamoError, ValueType};
use std::cmp::Ordering;

/// Deepest document path DynamoDB accepts (in elements).
pub const MAX_PATH_DEPTH: usize = 32;
/// Most operators and functions one condition may contain.
pub const MAX_OPERATORS: usize = 300;
/// Most values on the right of IN.
pub const MAX_IN_OPERANDS: usize = 100;

/// What is known about an operand's value before reading any item.
#[derive(Clone, Copy)]
enum Static<'b> {
    Unknown,
    Value(&'b AttributeValue),
    /// The result of `size()`.
    Number,
}

impl Static<'_> {
    fn type_name(&self) -> Option<&'static str> {
        match self {
            Static::Unknown => None,
            Static::Value(v) => Some(v.value_type().descriptor()),
            Static::Number => Some("N"),
        }
    }

    fn has_type(&self, allowed: &[ValueType]) -> bool {
        match self {
            Static::Unknown => true,
            Static::Value(v) => allowed.contains(&v.value_type()),
            Static::Number => allowed.contains(&ValueType::N),
        }
    }
}

const SCALARS: [ValueType; 3] = [ValueType::S, ValueType::N, ValueType::B];

/// A path element with its placeholder resolved.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Elem<'n> {
    Key(&'n str),
    Index(u32),
}

/// "[a, b, [1]]", the way DynamoDB prints paths in messages.
pub(crate) fn describe(path: &[Elem<'_>]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|e| match e {
            Elem::Key(k) => (*k).to_string(),
            Elem::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

pub(crate) struct Validator<'r, 'b> {
    kind: ExpressionKind,
    bindings: &'r Bindings<'b>,
    usage: &'r mut Usage,
    operators: usize,
}

impl<'r, 'b> Validator<'r, 'b> {
    pub(crate) fn new(
        kind: ExpressionKind,
        bindings: &'r Bindings<'b>,
        usage: &'r mut Usage,
    ) -> Self {
        Validator {
            kind,
            bindings,
            usage,
            operators: 0,
        }
    }

    fn err(&self, detail: impl std::fmt::Display) -> DynamoError {
        invalid(self.kind, detail)
    }

    /// Depth, then each placeholder name in order.
    pub(crate) fn path<'p>(&mut self, path: &'p Path) -> Result<Vec<Elem<'p>>, DynamoError>
    where
        'b: 'p,
    {
        if path.elements.len() > MAX_PATH_DEPTH {
            return Err(self.err(format_args!(
                "The document path has too many nesting levels; nesting levels: {}",
                path.elements.len()
            )));
        }
        let mut resolved = Vec::with_capacity(path.elements.len());
        for element in &path.elements {
            resolved.push(match element {
                PathElement::Index(i) => Elem::Index(*i),
                PathElement::Name(name) => {
                    if let crate::ast::NameRef::Placeholder(p) = name {
                        self.usage.use_name(p);
                    }
                    match self.bindings.resolve(name) {
                        Ok(n) => Elem::Key(n),
                        Err(_) => return Err(self.err(undefined_name(name.as_written()))),
                    }
                }
            });
        }
        Ok(resolved)
    }

    fn value(&mut self, placeholder: &str) -> Result<&'b AttributeValue, DynamoError> {
        self.usage.use_value(placeholder);
        self.bindings
            .value(placeholder)
            .ok_or_else(|| self.err(undefined_value(placeholder)))
    }

    fn operand(&mut self, operand: &Operand) -> Result<Static<'b>, DynamoError> {
        match operand {
            Operand::Path(path) => {
                self.path(path)?;
                Ok(Static::Unknown)
            }
            Operand::Value(placeholder) => Ok(Static::Value(self.value(placeholder)?)),
            Operand::Call(call) => self.call(call),
        }
    }

    /// Resolved form of an operand that is a path, for "distinct operand"
    /// checks. Called after the operand validated, so names resolve.
    fn as_path<'p>(&self, operand: &'p Operand) -> Option<Vec<Elem<'p>>>
    where
        'b: 'p,
    {
        let Operand::Path(path) = operand else {
            return None;
        };
        path.elements
            .iter()
            .map(|e| match e {
                PathElement::Index(i) => Some(Elem::Index(*i)),
                PathElement::Name(n) => self.bindings.resolve(n).ok().map(Elem::Key),
            })
            .collect()
    }

    fn check_distinct(
        &self,
        operator: &str,
        first: &Operand,
        rest: &[&Operand],
    ) -> Result<(), DynamoError> {
        if let Some(first_path) = self.as_path(first) {
            if rest
                .iter()
                .any(|o| self.as_path(o).as_ref() == Some(&first_path))
            {
                return Err(self.err(not_distinct(operator, &describe(&first_path))));
            }
        }
        Ok(())
    }

    fn call(&mut self, call: &Call) -> Result<Static<'b>, DynamoError> {
        self.operators += 1;
        let mut types = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            types.push(self.operand(arg)?);
        }
        let name = call.function.name();
        if call.args.len() != call.function.arity() {
            return Err(self.err(format_args!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                call.args.len()
            )));
        }
        let needs_path = matches!(
            call.function,
            Function::AttributeExists | Function::AttributeNotExists | Function::IfNotExists
        );
        if needs_path && !matches!(call.args.first(), Some(Operand::Path(_))) {
            return Err(self.err(format_args!(
                "Operator or function requires a document path; operator or function: {name}"
            )));
        }
        if matches!(
            call.function,
            Function::BeginsWith | Function::Contains | Function::AttributeType
        ) {
            if let [first, rest @ ..] = call.args.as_slice() {
                let rest: Vec<&Operand> = rest.iter().collect();
                self.check_distinct(name, first, &rest)?;
            }
        }
        let bad = |allowed: &[ValueType]| types.iter().find(|t| !t.has_type(allowed)).copied();
        let offending = match call.function {
            Function::Size => bad(&[
                ValueType::S,
                ValueType::B,
                ValueType::Ss,
                ValueType::Ns,
                ValueType::Bs,
                ValueType::L,
                ValueType::M,
            ]),
            Function::BeginsWith => bad(&[ValueType::S, ValueType::B]),
            Function::ListAppend => bad(&[ValueType::L]),
            Function::AttributeType => return self.attribute_type(types.get(1).copied(), call),
            _ => None,
        };
        if let Some(t) = offending.and_then(|t| t.type_name()) {
            return Err(self.err(incorrect_operand_type(name, t)));
        }
        Ok(match call.function {
            Function::Size => Static::Number,
            _ => Static::Unknown,
        })
    }

    fn attribute_type(
        &self,
        descriptor: Option<Static<'b>>,
        call: &Call,
    ) -> Result<Static<'b>, DynamoError> {
        match descriptor {
            Some(Static::Value(AttributeValue::S(text)))
                if ValueType::from_descriptor(text).is_none() =>
            {
                return Err(self.err(format_args!(
                    "Invalid attribute type name found; type: {text}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                )));
            }
            Some(Static::Value(AttributeValue::S(_))) => {}
            Some(Static::Unknown) if matches!(call.args.get(1), Some(Operand::Path(_))) => {
                // DynamoDB lists its internal type names here.
                return Err(self.err(incorrect_operand_type(
                    "attribute_type",
                    "{HD,BOOL,S,FS,L,DECIMALSET,DICT,HDS,B,INTSET,BS,DOUBLESET,SS,NS,DOUBLE,M,INT,N,NULL,DECIMAL,FLOAT}",
                )));
            }
            Some(other) => {
                if let Some(t) = other.type_name() {
                    return Err(self.err(incorrect_operand_type("attribute_type", t)));
                }
            }
            None => {}
        }
        Ok(Static::Unknown)
    }

    pub(crate) fn condition(&mut self, condition: &Condition) -> Result<(), DynamoError> {
        match condition {
            Condition::Compare(op, left, right) => {
                self.operators += 1;
                let (l, r) = (self.operand(left)?, self.operand(right)?);
                self.check_distinct(op.symbol(), left, &[right])?;
                if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                    for t in [l, r] {
                        if let (false, Some(name)) = (t.has_type(&SCALARS), t.type_name()) {
                            return Err(self.err(incorrect_operand_type(op.symbol(), name)));
                        }
                    }
                }
                Ok(())
            }
            Condition::Between(operand, low, high) => {
                self.operators += 1;
                let types = [
                    self.operand(operand)?,
                    self.operand(low)?,
                    self.operand(high)?,
                ];
                // Operand types before distinct operands, as DynamoDB.
                for t in types {
                    if let (false, Some(name)) = (t.has_type(&SCALARS), t.type_name()) {
                        return Err(self.err(incorrect_operand_type("BETWEEN", name)));
                    }
                }
                self.check_distinct("BETWEEN", operand, &[low, high])?;
                if let (Static::Value(lo), Static::Value(hi)) = (types[1], types[2]) {
                    check_bounds(lo, hi).map_err(|detail| self.err(detail))?;
                }
                Ok(())
            }
            Condition::In(operand, list) => {
                self.operators += 1;
                self.operand(operand)?;
                for item in list {
                    self.operand(item)?;
                }
                if list.len() > MAX_IN_OPERANDS {
                    return Err(self.err(format_args!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    )));
                }
                let rest: Vec<&Operand> = list.iter().collect();
                self.check_distinct("IN", operand, &rest)
            }
            Condition::Call(call) => self.call(call).map(|_| ()),
            Condition::Not(inner) => {
                self.operators += 1;
                self.condition(inner)
            }
            Condition::And(left, right) | Condition::Or(left, right) => {
                self.operators += 1;
                self.condition(left)?;
                self.condition(right)
            }
        }
    }

    /// The operator limit, checked once the whole condition was walked.
    pub(crate) fn finish_condition(&self) -> Result<(), DynamoError> {
        if self.operators > MAX_OPERATORS {
            return Err(self.err(format_args!(
                "The expression contains too many operators; operator count: {}",
                MAX_OPERATORS + 1
            )));
        }
        Ok(())
    }

    /// Resolves `paths`, rejecting any two that overlap (one is a prefix
    /// of the other) or conflict (one indexes a list where the other names
    /// a map key). DynamoDB resolves the names last path first, so with
    /// several undefined names it reports the last.
    pub(crate) fn distinct_paths<'p>(
        &mut self,
        paths: impl Iterator<Item = &'p Path>,
    ) -> Result<(), DynamoError>
    where
        'b: 'p,
    {
        let paths: Vec<&'p Path> = paths.collect();
        for path in paths.iter().rev() {
            self.path(path)?;
        }
        let mut seen: Vec<Vec<Elem<'p>>> = Vec::new();
        for path in paths {
            let resolved = self.path(path)?;
            for earlier in seen.iter().rev() {
                if let Some(relation) = relate(earlier, &resolved) {
                    return Err(self.err(format_args!(
                        "Two document paths {relation} with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                        describe(earlier),
                        describe(&resolved)
                    )));
                }
            }
            seen.push(resolved);
        }
        Ok(())
    }

    /// Target paths first; then the operands of each action, last action
    /// first, as DynamoDB does (so with several errors the one it reports
    /// is the last in the text).
    pub(crate) fn update(&mut self, clauses: &[Clause]) -> Result<(), DynamoError> {
        self.distinct_paths(clauses.iter().flat_map(clause_paths))?;
        for clause in clauses.iter().rev() {
            match clause {
                Clause::Set(actions) => {
                    for action in actions.iter().rev() {
                        self.set_value(&action.value)?;
                    }
                }
                Clause::Remove(_) => {}
                Clause::Add(actions) | Clause::Delete(actions) => {
                    let is_add = matches!(clause, Clause::Add(_));
                    for action in actions.iter().rev() {
                        let value = self.value(&action.value)?;
                        let allowed = match value.value_type() {
                            ValueType::Ss | ValueType::Ns | ValueType::Bs => true,
                            ValueType::N => is_add,
                            _ => false,
                        };
                        if !allowed {
                            let (operator, set) = if is_add {
                                ("ADD", "ALLOWED_FOR_ADD_OPERAND")
                            } else {
                                ("DELETE", "ALLOWED_FOR_DELETE_OPERAND")
                            };
                            return Err(self.err(format_args!(
                                "Incorrect operand type for operator or function; operator: {operator}, operand type: {}, typeSet: {set}",
                                long_type_name(value.value_type())
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn set_value(&mut self, value: &SetValue) -> Result<(), DynamoError> {
        match value {
            SetValue::Operand(operand) => self.operand(operand).map(|_| ()),
            SetValue::Plus(left, right) | SetValue::Minus(left, right) => {
                let symbol = if matches!(value, SetValue::Plus(..)) {
                    "+"
                } else {
                    "-"
                };
                for operand in [left, right] {
                    let t = self.operand(operand)?;
                    if let (false, Some(name)) = (t.has_type(&[ValueType::N]), t.type_name()) {
                        return Err(self.err(incorrect_operand_type(symbol, name)));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Every path an update writes, in text order.
pub(crate) fn clause_paths(clause: &Clause) -> Box<dyn Iterator<Item = &Path> + '_> {
    match clause {
        Clause::Set(actions) => Box::new(actions.iter().map(|a| &a.path)),
        Clause::Remove(paths) => Box::new(paths.iter()),
        Clause::Add(actions) | Clause::Delete(actions) => Box::new(actions.iter().map(|a| &a.path)),
    }
}

/// "overlap", "conflict", or `None` for independent paths.
pub(crate) fn relate(a: &[Elem<'_>], b: &[Elem<'_>]) -> Option<&'static str> {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Elem::Key(p), Elem::Key(q)) if p == q => {}
            (Elem::Index(p), Elem::Index(q)) if p == q => {}
            (Elem::Key(_), Elem::Key(_)) | (Elem::Index(_), Elem::Index(_)) => return None,
            _ => return Some("conflict"),
        }
    }
    Some("overlap")
}

fn long_type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::S => "STRING",
        ValueType::N => "NUMBER",
        ValueType::B => "BINARY",
        ValueType::Bool => "BOOLEAN",
        ValueType::Null => "NULL",
        ValueType::M => "MAP",
        ValueType::L => "LIST",
        ValueType::Ss => "STRING_SET",
        ValueType::Ns => "NUMBER_SET",
        ValueType::Bs => "BINARY_SET",
    }
}

/// Orders two scalars of the same type, as comparisons and BETWEEN do.
pub(crate) fn compare_scalars(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// BETWEEN's static checks on two known bounds.
pub(crate) fn check_bounds(low: &AttributeValue, high: &AttributeValue) -> Result<(), String> {
    let problem = match compare_scalars(low, high) {
        None => "The BETWEEN operator requires same data type for lower and upper bounds",
        Some(Ordering::Greater) => {
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"
        }
        Some(_) => return Ok(()),
    };
    Err(format!(
        "{problem}; lower bound operand: AttributeValue: {{{}}}, upper bound operand: AttributeValue: {{{}}}",
        java_value(low),
        java_value(high)
    ))
}

/// How DynamoDB's Java `AttributeValue.toString` shows a scalar.
fn java_value(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("S:{s}"),
        AttributeValue::N(n) => format!("N:{n}"),
        AttributeValue::B(b) => {
            format!("B:java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]", b.len())
        }
        other => format!("{}:", other.value_type().descriptor()),
    }
}
