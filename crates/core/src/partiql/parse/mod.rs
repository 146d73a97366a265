//! The PartiQL statements DynamoDB runs, parsed into a small syntax tree:
//!
//! ```text
//! SELECT * | path [, path ...] FROM table[.index] [WHERE cond] [ORDER BY path [ASC|DESC] [, ...]]
//! INSERT INTO table VALUE {'name': value, ...}
//! UPDATE table SET path = value [, ...] | REMOVE path ... WHERE cond [RETURNING ...]
//! FROM table WHERE cond SET path = value [, ...] | REMOVE path ... [RETURNING ...]
//! DELETE FROM table WHERE cond [RETURNING ALL OLD *]
//! EXISTS(SELECT * FROM table WHERE cond)      (in ExecuteTransaction only)
//! ```
//!
//! A statement may end with `;`; `-- ...` (to the end of the line) and
//! `/* ... */` are comments.
//!
//! Names are bare (`name`) or double-quoted (`"name"`); strings are
//! single-quoted; `?` is the next of the request's Parameters; `{...}` is a
//! map, `[...]` a list and `<<...>>` a set. Keywords are case-insensitive.

mod ast;
mod ion;
mod is_types;
mod lexer;
mod literals;

pub use ast::{Expr, OrderKey, Path, Returning, Statement, Step};
pub use literals::value_of;

use super::keywords;
use dynalith_expr::ast::CompareOp;
use dynalith_model::{AttributeValue, DynamoError};
use lexer::{tokenize, Span, Token};

/// The error for a write (or a read that must be of one item) whose WHERE
/// clause does not name one item.
pub fn no_whole_key() -> DynamoError {
    DynamoError::validation(
        "Where clause does not contain a mandatory equality on all key attributes",
    )
}

const MALFORMED: &str = "Statement wasn't well formed, can't be processed: ";

/// The error DynamoDB gives for a statement it cannot parse.
pub fn malformed(detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(format!("{MALFORMED}{detail}"))
}

/// The functions DynamoDB's PartiQL has: in conditions, and in SET.
const FUNCTIONS: [&str; 10] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
    "list_append",
    "if_not_exists",
    "set_add",
    "set_delete",
];

/// Reserved words that are operators: where a term should start, PartiQL's
/// parser calls them "Unexpected operator" (other keywords "Unexpected
/// keyword").
const OPERATOR_WORDS: [&str; 7] = ["IS", "LIKE", "AND", "OR", "IN", "BETWEEN", "NOT"];

/// PartiQL's parser's words for nothing where a term should start.
fn unexpected_term() -> DynamoError {
    malformed("Unexpected term")
}

/// The functions that are conditions themselves (true or false).
pub const CONDITION_FUNCTIONS: [&str; 5] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
];

/// Parses one statement.
pub fn parse(text: &str) -> Result<Statement, DynamoError> {
    let (tokens, spans) = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        spans,
        at: 0,
        parameters: 0,
        depth: 0,
        literal_path: Vec::new(),
        projecting: false,
        in_set_value: false,
        in_set_function: false,
        in_item: false,
        in_condition: false,
        ion_literal: None,
    };
    let parsed = parser.whole_statement();
    // An Ion literal is refused once the statement has parsed, ahead of
    // the refusals met after it (DynamoDB Local's order).
    match (parsed, parser.ion_literal.take()) {
        (Err(syntax), _) if syntax.message.starts_with(MALFORMED) => Err(syntax),
        (_, Some(ion)) => Err(ion),
        (parsed, None) => parsed,
    }
}

/// PartiQL's parser's words for a token after a complete statement.
fn leftover() -> DynamoError {
    malformed("Unexpected token after expression")
}

/// How many `?` a statement has.
pub fn parameter_count(text: &str) -> Result<usize, DynamoError> {
    Ok(tokenize(text)?
        .0
        .iter()
        .filter(|t| **t == Token::Parameter)
        .count())
}

/// How deep parentheses, NOTs, maps, lists and sets may nest: DynamoDB
/// items nest 32 levels, and the parser's recursion must stay far from the
/// request thread's stack limit.
const MAX_DEPTH: usize = 64;

/// An update's SET assignments and REMOVE paths.
type UpdateClauses = (Vec<(Path, Expr)>, Vec<Path>);

/// One step into a map or list literal.
enum LiteralStep {
    Key(String),
    Index(usize),
}

struct Parser {
    tokens: Vec<Token>,
    spans: Vec<Span>,
    at: usize,
    parameters: usize,
    depth: usize,
    /// Where the literal being parsed sits inside the value it belongs
    /// to: a map literal's keys and a list literal's positions (DynamoDB
    /// names the place of a bad literal `root.key.0`).
    literal_path: Vec<LiteralStep>,
    /// Whether the path being parsed is one of SELECT's projections.
    projecting: bool,
    /// Whether the operand being parsed is a SET clause's value, where
    /// set_add and set_delete belong.
    in_set_value: bool,
    /// Whether the operand being parsed is an argument of set_add or
    /// set_delete, where DynamoDB reports an empty bag without its place.
    in_set_function: bool,
    /// Whether the operand being parsed is inside an INSERT's item.
    in_item: bool,
    /// Whether a WHERE clause's condition is being parsed.
    in_condition: bool,
    /// The refusal of the first Ion literal met (`ion`).
    ion_literal: Option<DynamoError>,
}

impl Parser {
    fn whole_statement(&mut self) -> Result<Statement, DynamoError> {
        let statement = self.statement()?;
        if self.at_keyword("LIMIT") && !self.at_keyword_ahead(2, "OFFSET") {
            // The request's Limit member limits a SELECT, not the text.
            // DynamoDB points at the limit's value.
            return Err(DynamoError::validation(format!(
                "Unsupported clause: LIMIT at {}",
                self.span(self.at + 1)
            )));
        }
        if self.at_keyword("GROUP") && self.at_keyword_ahead(1, "BY") {
            return Err(DynamoError::validation("Unsupported clause: GROUP BY"));
        }
        self.end()?;
        Ok(statement)
    }

    /// Runs `inner` one nesting level deeper.
    fn nested<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<T, DynamoError>,
    ) -> Result<T, DynamoError> {
        if self.depth == MAX_DEPTH {
            return Err(malformed("the statement nests too deeply"));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, DynamoError> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| malformed("unexpected end of statement"))?;
        self.at += 1;
        Ok(token)
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        self.at_keyword_ahead(0, keyword)
    }

    /// The end of the statement, after an optional `;`.
    fn end(&mut self) -> Result<(), DynamoError> {
        self.eat_symbol(";");
        if self.at < self.tokens.len() {
            return Err(leftover());
        }
        Ok(())
    }

    /// The table an UPDATE or DELETE names: not an index, no alias.
    fn updated_table(&mut self) -> Result<String, DynamoError> {
        let table = self.written_table("This operation is not supported on an index")?;
        self.refuse_alias()?;
        Ok(table)
    }

    /// Refuses an alias after a table's name (`FROM t AS x`, `FROM t x`).
    fn refuse_alias(&self) -> Result<(), DynamoError> {
        if self.at_keyword("AS")
            || matches!(self.peek(), Some(Token::Word(w)) if !keywords::is_reserved(w))
        {
            return Err(DynamoError::validation("Aliasing is not supported"));
        }
        Ok(())
    }

    /// Whether the token `ahead` places on is `keyword`.
    fn at_keyword_ahead(&self, ahead: usize, keyword: &str) -> bool {
        matches!(self.tokens.get(self.at + ahead), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    /// Where token `i` is; the end of the statement for none.
    fn span(&self, i: usize) -> Span {
        self.spans
            .get(i)
            .or(self.spans.last())
            .copied()
            .unwrap_or(Span::START)
    }

    /// DynamoDB's error for what has no place in a path (a SELECT list's
    /// items and a path's steps are paths only).
    fn unexpected_path_component(&self, i: usize) -> DynamoError {
        DynamoError::validation(format!("Unexpected path component at {}", self.span(i)))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.at_keyword(keyword);
        if found {
            self.at += 1;
        }
        found
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), DynamoError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(malformed(format!("expected {keyword}")))
        }
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        if found {
            self.at += 1;
        }
        found
    }

    fn symbol(&mut self, symbol: &str) -> Result<(), DynamoError> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(malformed(format!("expected '{symbol}'")))
        }
    }

    fn statement(&mut self) -> Result<Statement, DynamoError> {
        if self.eat_keyword("SELECT") {
            self.select()
        } else if self.eat_keyword("INSERT") {
            self.keyword("INTO")?;
            let table = self.written_table(
                "FROM clause may only contain a single table name in data manipulation statements",
            )?;
            if matches!(self.peek(), Some(Token::Word(w)) if !w.eq_ignore_ascii_case("VALUE")) {
                return Err(leftover());
            }
            self.keyword("VALUE")?;
            // Each of the item's attributes is a value of its own: its
            // literals sit at `root`, not under the attribute's name.
            self.in_item = true;
            let item = if self.eat_symbol("{") {
                self.nested(|p| p.map(false))
            } else {
                self.operand()
            };
            self.in_item = false;
            let item = item?;
            let returning = self.returning()?.is_some();
            Ok(Statement::Insert {
                table,
                item,
                returning,
            })
        } else if self.eat_keyword("UPDATE") {
            self.update()
        } else if self.eat_keyword("FROM") {
            self.update_written_from_first()
        } else if self.eat_keyword("DELETE") {
            self.keyword("FROM")?;
            if matches!(self.peek(), None | Some(Token::Symbol(";"))) || self.at_keyword("WHERE") {
                return Err(malformed("Expected identifier for simple path"));
            }
            let table = self.updated_table()?;
            let condition = self.where_clause()?;
            let returning = self.returning()?;
            Ok(Statement::Delete {
                table,
                condition,
                returning,
            })
        } else if self.eat_keyword("EXISTS") {
            self.symbol("(")?;
            self.keyword("SELECT")?;
            let select = self.select()?;
            self.symbol(")")?;
            Ok(Statement::Exists(Box::new(select)))
        } else if self.is_bare_type_test()? {
            // A bare expression parses and is then refused by its kind
            // (recorded from DynamoDB, 2026-10, for `x IS INT4`).
            Err(DynamoError::validation("Unsupported operation: IsType"))
        } else {
            // PartiQL's parser's words, which DynamoDB passes on.
            Err(malformed("Expected data manipulation"))
        }
    }

    /// The WHERE clause a write must have: without one it names no item.
    fn where_clause(&mut self) -> Result<Expr, DynamoError> {
        if !self.eat_keyword("WHERE") {
            return Err(no_whole_key());
        }
        self.where_condition()
    }

    /// A WHERE clause's condition, which must be true or false throughout.
    fn where_condition(&mut self) -> Result<Expr, DynamoError> {
        let outer = std::mem::replace(&mut self.in_condition, true);
        let condition = self.condition();
        self.in_condition = outer;
        let condition = condition?;
        check_boolean(&condition, None)?;
        Ok(condition)
    }

    fn select(&mut self) -> Result<Statement, DynamoError> {
        let projection = if self.eat_symbol("*") {
            None
        } else {
            if self.at_keyword("DISTINCT") {
                return Err(DynamoError::validation(
                    "Unsupported token in expression: DISTINCT",
                ));
            }
            let mut paths = vec![self.projected_path()?];
            while self.eat_symbol(",") {
                paths.push(self.projected_path()?);
            }
            Some(paths)
        };
        self.keyword("FROM")?;
        if matches!(self.peek(), None | Some(Token::Symbol(";"))) {
            return Err(unexpected_term());
        }
        let table = self.name()?;
        let index = if self.eat_symbol(".") {
            Some(self.name()?)
        } else {
            None
        };
        self.refuse_alias()?;
        let condition = if self.eat_keyword("WHERE") {
            Some(self.where_condition()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_keyword("ORDER") {
            self.keyword("BY")?;
            loop {
                let path = self.path()?;
                let descending = self.eat_keyword("DESC");
                if !descending {
                    self.eat_keyword("ASC");
                }
                order_by.push(OrderKey { path, descending });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        Ok(Statement::Select {
            projection,
            table,
            index,
            condition,
            order_by,
        })
    }

    /// The table a write names: a table, never one of its indexes.
    fn written_table(&mut self, on_index: &str) -> Result<String, DynamoError> {
        let table = self.name()?;
        if matches!(self.peek(), Some(Token::Symbol("."))) {
            return Err(DynamoError::validation(on_index));
        }
        Ok(table)
    }

    fn update(&mut self) -> Result<Statement, DynamoError> {
        let table = self.updated_table()?;
        let (set, remove) = self.update_clauses()?;
        // The grammar's WHERE is optional: what follows the clauses must
        // parse before a missing WHERE is refused (`REMOVE a, b` leaves a
        // token over).
        if !self.at_keyword("WHERE") {
            self.returning()?;
            self.end()?;
            return Err(no_whole_key());
        }
        let condition = self.where_clause()?;
        let returning = self.returning()?;
        Ok(Statement::Update {
            table,
            set,
            remove,
            condition,
            returning,
        })
    }

    /// `FROM table WHERE cond SET ... | REMOVE ...`: DynamoDB runs it as the
    /// UPDATE of the item the WHERE names. Without a WHERE it names no item,
    /// once the rest has parsed.
    fn update_written_from_first(&mut self) -> Result<Statement, DynamoError> {
        let table = self.updated_table()?;
        let condition = if self.eat_keyword("WHERE") {
            Some(self.where_condition()?)
        } else {
            None
        };
        let (set, remove) = self.update_clauses()?;
        let returning = self.returning()?;
        let Some(condition) = condition else {
            self.end()?;
            return Err(no_whole_key());
        };
        Ok(Statement::Update {
            table,
            set,
            remove,
            condition,
            returning,
        })
    }

    /// An update's SET and REMOVE clauses, one or more, in any order.
    fn update_clauses(&mut self) -> Result<UpdateClauses, DynamoError> {
        let (mut set, mut remove) = (Vec::new(), Vec::new());
        loop {
            if self.eat_keyword("SET") {
                loop {
                    let path = self.path()?;
                    self.symbol("=")?;
                    let start = self.at;
                    self.in_set_value = true;
                    let value = self.sum();
                    self.in_set_value = false;
                    let value = value?;
                    self.check_set_function(&path, &value, start)?;
                    set.push((path, value));
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
            } else if self.eat_keyword("REMOVE") {
                // One path per REMOVE (`REMOVE a REMOVE b`), as DynamoDB's
                // grammar has it; SET takes a list.
                remove.push(self.path()?);
            } else {
                break;
            }
        }
        if set.is_empty() && remove.is_empty() {
            return Err(malformed("UPDATE needs a SET or REMOVE clause"));
        }
        Ok((set, remove))
    }

    /// `SET s = set_add(s, <<...>>)` (or set_delete) must add to the set it
    /// assigns, from a set: DynamoDB's checks and words, placed at the
    /// function's name or its first argument (recorded from DynamoDB,
    /// 2026-10). `start` is the value's first token.
    fn check_set_function(
        &self,
        path: &Path,
        value: &Expr,
        start: usize,
    ) -> Result<(), DynamoError> {
        let Expr::Call(function, arguments) = value else {
            return Ok(());
        };
        if function != "set_add" && function != "set_delete" {
            return Ok(());
        }
        let name = function.to_ascii_uppercase();
        let at_function = self.span(start);
        if arguments.len() != 2 {
            return Err(DynamoError::validation(format!(
                "{name} must have exactly two arguments at {at_function}"
            )));
        }
        if !matches!(&arguments[0], Expr::Path(of) if of == path) {
            return Err(DynamoError::validation(format!(
                "The first argument to {name} must equal the assignment value at {at_function}"
            )));
        }
        let is_set = match &arguments[1] {
            Expr::Value(v) => matches!(
                v,
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
            ),
            Expr::Parameter(_) | Expr::Path(_) => true,
            _ => false,
        };
        if !is_set {
            return Err(DynamoError::validation(format!(
                "The second argument to {name} must be a value with type SET at {}",
                self.span(start + 2)
            )));
        }
        Ok(())
    }

    fn returning(&mut self) -> Result<Option<Returning>, DynamoError> {
        if !self.eat_keyword("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_keyword("ALL") {
            true
        } else {
            self.keyword("MODIFIED")?;
            false
        };
        let old = if self.eat_keyword("OLD") {
            true
        } else {
            self.keyword("NEW")?;
            false
        };
        if !self.eat_symbol("*") {
            return Err(match self.peek() {
                None => malformed("expected '*'"),
                Some(_) => DynamoError::validation(
                    "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
                ),
            });
        }
        Ok(Some(match (all, old) {
            (true, true) => Returning::AllOld,
            (false, true) => Returning::ModifiedOld,
            (true, false) => Returning::AllNew,
            (false, false) => Returning::ModifiedNew,
        }))
    }

    /// A table, index or attribute name: quoted, or a bare word PartiQL
    /// does not reserve.
    fn name(&mut self) -> Result<String, DynamoError> {
        match self.next()? {
            Token::Word(w) if keywords::is_reserved(&w) => Err(malformed(format!(
                "{w} is a reserved word; quote it to use it as a name: \"{w}\""
            ))),
            Token::Quoted(w) if w.is_empty() => Err(empty_path_component()),
            Token::Word(w) | Token::Quoted(w) => Ok(w),
            _ => Err(malformed("expected a name")),
        }
    }

    /// One item of a SELECT list: a path and nothing else.
    fn projected_path(&mut self) -> Result<Path, DynamoError> {
        let is_name = match self.peek() {
            Some(Token::Quoted(_)) => true,
            Some(Token::Word(w)) => {
                !self.is_literal_word(w)
                    && !w.eq_ignore_ascii_case("MISSING")
                    && !matches!(self.tokens.get(self.at + 1), Some(Token::Symbol("(")))
            }
            _ => false,
        };
        if !is_name {
            return Err(self.unexpected_path_component(self.at));
        }
        self.projecting = true;
        let path = self.path();
        self.projecting = false;
        let path = path?;
        match self.peek() {
            None | Some(Token::Symbol(",")) => Ok(path),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("FROM") => Ok(path),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("AS") || !keywords::is_reserved(w) => {
                Err(DynamoError::validation("Aliasing is not supported"))
            }
            Some(_) => Err(self.unexpected_path_component(self.at)),
        }
    }

    fn path(&mut self) -> Result<Path, DynamoError> {
        let mut path = vec![Step::Name(self.name()?)];
        loop {
            if self.eat_symbol(".") {
                if self.eat_symbol("*") {
                    if matches!(self.peek(), Some(Token::Symbol("." | "["))) {
                        return Err(malformed("'*' in the middle of a path"));
                    }
                    // `m.*`, PartiQL's unpivot of a map into its attributes.
                    return Err(DynamoError::validation(if self.projecting {
                        "Changing item's hierarchy while reading isn't supported".to_string()
                    } else {
                        format!(
                            "Unpivot path component like a.*.b are not supported at {}",
                            self.span(self.at - 1)
                        )
                    }));
                }
                // A reserved word is no path step (recorded from DynamoDB,
                // 2026-10: `m.inner`).
                if matches!(self.peek(), Some(Token::Word(w)) if keywords::is_reserved(w)) {
                    return Err(malformed("Invalid path dot component"));
                }
                path.push(Step::Name(self.name()?));
            } else if self.eat_symbol("[") {
                // `[n]` indexes a list; `['key']` (or `["key"]`) names a
                // map's key, as `.key` does.
                let step = match self.next()? {
                    Token::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => Step::Index(
                        n.parse()
                            .map_err(|_| malformed(format!("invalid list index {n}")))?,
                    ),
                    Token::Text(key) | Token::Quoted(key) if key.is_empty() => {
                        return Err(empty_path_component())
                    }
                    Token::Text(key) | Token::Quoted(key) => Step::Name(key),
                    Token::Symbol("-") => match self.peek().cloned() {
                        Some(Token::Number(n)) => {
                            return Err(DynamoError::validation(format!(
                                "List index is not within the allowable range; index: [-{n}] at {}",
                                self.span(self.at)
                            )))
                        }
                        _ => return Err(self.unexpected_path_component(self.at - 1)),
                    },
                    _ => return Err(self.unexpected_path_component(self.at - 1)),
                };
                self.symbol("]")?;
                path.push(step);
            } else {
                return Ok(path);
            }
        }
    }

    fn condition(&mut self) -> Result<Expr, DynamoError> {
        let mut left = self.conjunction()?;
        while self.eat_keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.conjunction()?));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Expr, DynamoError> {
        let mut left = self.negation()?;
        while self.eat_keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.negation()?));
        }
        Ok(left)
    }

    fn negation(&mut self) -> Result<Expr, DynamoError> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.nested(Self::negation)?)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, DynamoError> {
        if self.eat_symbol("(") {
            let inner = self.nested(Self::condition)?;
            self.symbol(")")?;
            return Ok(inner);
        }
        let left = self.sum()?;
        let is_at = self.span(self.at);
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            let Expr::Path(path) = left else {
                // IS MISSING is attribute_not_exists, which needs a path.
                return Err(DynamoError::validation(match left {
                    Expr::Value(_) if self.at_keyword("MISSING") => format!(
                        "Operator or function requires a document path; operator or function: {}",
                        if negated { "attribute_exists" } else { "attribute_not_exists" }
                    ),
                    _ => "The left hand side argument to IS must be a Variable Reference, Literal, or Path".to_string(),
                }));
            };
            return if self.eat_keyword("MISSING") {
                Ok(Expr::Missing(path, !negated))
            } else if self.eat_keyword("NULL") {
                Ok(Expr::Null(path, !negated))
            } else {
                // IS with a type runs as a filter on the attribute's type.
                let descriptor = match self.is_type()? {
                    is_types::IsType::Dynamo(descriptor) => descriptor,
                    is_types::IsType::Unsupported(name) => {
                        return Err(is_types::unsupported_type(name, is_at))
                    }
                };
                let test = Expr::Call(
                    "attribute_type".into(),
                    vec![
                        Expr::Path(path),
                        Expr::Value(AttributeValue::S(descriptor.into())),
                    ],
                );
                Ok(if negated {
                    Expr::Not(Box::new(test))
                } else {
                    test
                })
            };
        }
        // `NOT BETWEEN`, `NOT IN` and `NOT LIKE` negate the test (PartiQL's
        // forms; DynamoDB Local runs the first two).
        let negated = self.at_keyword("NOT")
            && ["BETWEEN", "IN", "LIKE"]
                .iter()
                .any(|keyword| self.at_keyword_ahead(1, keyword));
        if negated {
            self.at += 1;
        }
        let negate = |test: Expr| {
            if negated {
                Expr::Not(Box::new(test))
            } else {
                test
            }
        };
        if self.eat_keyword("LIKE") {
            // PartiQL's LIKE parses; DynamoDB's conditions have no such
            // operator (DynamoDB Local's words).
            self.sum()?;
            if self.eat_keyword("ESCAPE") {
                self.sum()?;
            }
            return Err(DynamoError::validation(
                "Unsupported operator in Condition Expression. Operator: like",
            ));
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.sum()?;
            self.keyword("AND")?;
            let high = self.sum()?;
            return Ok(negate(Expr::Between(
                Box::new(left),
                Box::new(low),
                Box::new(high),
            )));
        }
        if self.eat_keyword("IN") {
            let close = if self.eat_symbol("[") {
                "]"
            } else {
                self.symbol("(")?;
                ")"
            };
            let mut options = vec![self.sum()?];
            while self.eat_symbol(",") {
                options.push(self.sum()?);
            }
            self.symbol(close)?;
            return Ok(negate(Expr::In(Box::new(left), options)));
        }
        let comparison = match self.peek() {
            Some(Token::Symbol("=")) => CompareOp::Eq,
            Some(Token::Symbol("<>" | "!=")) => CompareOp::Ne,
            Some(Token::Symbol("<")) => CompareOp::Lt,
            Some(Token::Symbol("<=")) => CompareOp::Le,
            Some(Token::Symbol(">")) => CompareOp::Gt,
            Some(Token::Symbol(">=")) => CompareOp::Ge,
            // A function call standing alone (begins_with, contains, ...).
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.sum()?;
        // A condition function compared with a boolean literal is that
        // condition or its negation (recorded from DynamoDB, 2026-10:
        // `attribute_exists(ss) = true` runs); DynamoDB's expressions have
        // no such comparison, so it is rewritten here.
        let is_condition =
            |e: &Expr| matches!(e, Expr::Call(f, _) if CONDITION_FUNCTIONS.contains(&f.as_str()));
        let (condition, truth) = match (&left, &right) {
            (c, Expr::Value(AttributeValue::Bool(b))) if is_condition(c) => (left, *b),
            (Expr::Value(AttributeValue::Bool(b)), c) if is_condition(c) => (right, *b),
            _ => return Ok(Expr::Compare(Box::new(left), comparison, Box::new(right))),
        };
        let holds = match comparison {
            CompareOp::Eq => truth,
            CompareOp::Ne => !truth,
            _ => return Err(malformed("a condition compares only with = or <>")),
        };
        Ok(if holds {
            condition
        } else {
            Expr::Not(Box::new(condition))
        })
    }

    fn sum(&mut self) -> Result<Expr, DynamoError> {
        let mut left = self.operand()?;
        loop {
            let Some(Token::Symbol(op @ ("+" | "-" | "*" | "/" | "%" | "||"))) = self.peek() else {
                return Ok(left);
            };
            let op = *op;
            self.at += 1;
            left = Expr::Arithmetic(Box::new(left), op, Box::new(self.operand()?));
        }
    }

    fn operand(&mut self) -> Result<Expr, DynamoError> {
        match self.peek().cloned() {
            Some(Token::Parameter) => {
                self.at += 1;
                self.parameters += 1;
                Ok(Expr::Parameter(self.parameters - 1))
            }
            Some(Token::Text(text)) => {
                self.at += 1;
                Ok(Expr::Value(AttributeValue::S(text)))
            }
            Some(Token::Ion(text)) => {
                let refusal = DynamoError::validation(format!(
                    "Ion Literals are not supported: {} under key {} at {}",
                    ion::ion_type(&text),
                    self.literal_place(),
                    self.span(self.at)
                ));
                self.ion_literal.get_or_insert(refusal);
                self.at += 1;
                Ok(Expr::Value(AttributeValue::Null))
            }
            Some(Token::Number(text)) => {
                self.at += 1;
                self.number(&text)
                    .map(|n| Expr::Value(AttributeValue::N(n)))
            }
            Some(Token::Symbol("-")) => {
                self.at += 1;
                Ok(Expr::Value(AttributeValue::N(self.negative_number()?)))
            }
            Some(Token::Symbol("{")) => {
                self.at += 1;
                self.nested(|p| p.map(true))
            }
            Some(Token::Symbol("[")) => {
                self.at += 1;
                self.nested(Self::list)
            }
            Some(Token::Symbol("<<")) => {
                self.at += 1;
                self.set()
            }
            Some(Token::Word(word)) if self.is_literal_word(&word) => {
                self.at += 1;
                Ok(Expr::Value(match word.to_ascii_uppercase().as_str() {
                    "TRUE" => AttributeValue::Bool(true),
                    "FALSE" => AttributeValue::Bool(false),
                    _ => AttributeValue::Null,
                }))
            }
            Some(Token::Word(word))
                if matches!(self.tokens.get(self.at + 1), Some(Token::Symbol("(")))
                    && !self.is_literal_word(&word)
                    && !word.eq_ignore_ascii_case("MISSING") =>
            {
                let function = word.to_ascii_lowercase();
                // With the function's place, as DynamoDB reports it (recorded
                // 2026-10 for `EXISTS(path)`; DynamoDB Local leaves it out).
                if !FUNCTIONS.contains(&function.as_str()) {
                    return Err(DynamoError::validation(format!(
                        "Unrecognized function: {function} at {}",
                        self.span(self.at)
                    )));
                }
                // set_add and set_delete are SET values only (recorded from
                // DynamoDB, 2026-10, with the function's place).
                if (function == "set_add" || function == "set_delete") && !self.in_set_value {
                    let at = self.span(self.at);
                    return Err(DynamoError::validation(if self.in_item {
                        format!(
                            "Unsupported data type: {function} under key {} at {at}",
                            self.literal_place()
                        )
                    } else {
                        format!("Unrecognized function: {function} at {at}")
                    }));
                }
                self.at += 2;
                let in_set_value = std::mem::replace(&mut self.in_set_value, false);
                let in_set_function = std::mem::replace(
                    &mut self.in_set_function,
                    function == "set_add" || function == "set_delete",
                );
                let arguments = self.nested(|p| p.list_until(")"));
                self.in_set_value = in_set_value;
                self.in_set_function = in_set_function;
                let arguments = arguments?;
                if arguments.is_empty() && CONDITION_FUNCTIONS.contains(&function.as_str()) {
                    return Err(DynamoError::validation(format!(
                        "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: 0"
                    )));
                }
                Ok(Expr::Call(function, arguments))
            }
            Some(Token::Word(word))
                if word.eq_ignore_ascii_case("MISSING")
                    && matches!(self.tokens.get(self.at + 1), Some(Token::Symbol("("))) =>
            {
                Err(malformed("MISSING is not a function"))
            }
            // MISSING is not a value: only `IS [NOT] MISSING` tests it.
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("MISSING") => {
                Err(DynamoError::validation(if self.literal_path.is_empty() {
                    "MISSING must be compared using IS operator".to_string()
                } else {
                    // Inside a map or list literal, in DynamoDB's words.
                    format!(
                        "Unsupported data type: LiteralMissing under key {} at {}",
                        self.literal_place(),
                        self.span(self.at)
                    )
                }))
            }
            Some(Token::Word(word))
                if keywords::is_reserved(&word) && self.literal_path.is_empty() =>
            {
                Err(malformed(
                    if OPERATOR_WORDS.iter().any(|o| word.eq_ignore_ascii_case(o)) {
                        "Unexpected operator"
                    } else {
                        "Unexpected keyword"
                    },
                ))
            }
            Some(Token::Word(_) | Token::Quoted(_)) => Ok(Expr::Path(self.path()?)),
            // Nothing where a term should start: after an infix operator,
            // PartiQL's parser misses its right-hand side.
            None | Some(Token::Symbol(";")) => Err(malformed(
                if matches!(
                    self.at.checked_sub(1).and_then(|i| self.tokens.get(i)),
                    Some(Token::Word(w)) if w.eq_ignore_ascii_case("AND") || w.eq_ignore_ascii_case("OR")
                ) {
                    "Missing right-hand side expression of infix operator"
                } else {
                    return Err(unexpected_term());
                },
            )),
            _ => Err(malformed("expected a value")),
        }
    }

    fn is_literal_word(&self, word: &str) -> bool {
        ["TRUE", "FALSE", "NULL"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
    }

    /// Comma-separated operands up to `close` (which may come at once).
    fn list_until(&mut self, close: &str) -> Result<Vec<Expr>, DynamoError> {
        let mut items = Vec::new();
        if self.eat_symbol(close) {
            return Ok(items);
        }
        loop {
            items.push(self.sum()?);
            if self.eat_symbol(close) {
                return Ok(items);
            }
            self.symbol(",")?;
        }
    }
}

/// Refuses an operand where a condition belongs (`WHERE a AND b = 1`),
/// in DynamoDB's words for where it stands: under `AND`, `OR` or `NOT`
/// (`within`), or as the whole WHERE clause.
fn check_boolean(expr: &Expr, within: Option<&str>) -> Result<(), DynamoError> {
    match expr {
        Expr::And(left, right) => {
            check_boolean(left, Some("AND"))?;
            check_boolean(right, Some("AND"))
        }
        Expr::Or(left, right) => {
            check_boolean(left, Some("OR"))?;
            check_boolean(right, Some("OR"))
        }
        Expr::Not(inner) => check_boolean(inner, Some("NOT")),
        Expr::Compare(..)
        | Expr::Between(..)
        | Expr::In(..)
        | Expr::Missing(..)
        | Expr::Null(..) => Ok(()),
        Expr::Call(function, _) if CONDITION_FUNCTIONS.contains(&function.as_str()) => Ok(()),
        _ => Err(DynamoError::validation(match (within, expr) {
            (None, _) => "WHERE clause must contain an expression that resolves to a boolean".to_string(),
            (Some(operator), Expr::Call(function, _)) if function == "size" => format!(
                "Incorrect operand type for operator or function; operator or function: {operator}, operand type: N"
            ),
            (Some("NOT"), _) => "The argument to NOT must be a Type or Expression".to_string(),
            (Some(_), _) => "The arguments to AND/OR must be Expressions".to_string(),
        })),
    }
}

/// An attribute name, a map literal's key included, is at least one
/// character long (DynamoDB's naming rules, in PartiQL's words).
fn empty_path_component() -> DynamoError {
    DynamoError::validation("Path component cannot be an empty string")
}

#[cfg(test)]
mod tests;
