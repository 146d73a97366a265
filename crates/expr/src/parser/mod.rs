//! Hand-written recursive-descent parsers for the four grammars.
//!
//! DynamoDB reports problems in phases, and which error a request gets
//! depends on that order, so the parser mirrors it:
//! 1. syntax errors, quoting the offending token and its neighbours;
//! 2. redundant parentheses (`((x))`) anywhere in the text;
//! 3. in text order: unknown function names, functions used where they are
//!    not allowed, unescaped reserved words, list indexes out of range.
//!
//! Phases 2 and 3 are recorded while parsing and reported only once the
//! whole text parsed. Checks that need the request's names and values come
//! later, in [`crate::validate`].

mod condition;
mod update;

pub(crate) use condition::parse_condition_text;
pub(crate) use update::parse_update_text;

use crate::ast::{Call, Function, NameRef, Operand, Path, PathElement};
use crate::error::{invalid, ExpressionKind};
use crate::lexer::{tokenize, Tok, Token};
use crate::reserved::is_reserved;
use dynalith_model::DynamoError;

/// Deeper nesting than this cannot be a valid expression: each level needs
/// a NOT or a parenthesis, at most 300 operators are allowed, and directly
/// nested parentheses are an error. Refusing it bounds the recursion.
const MAX_NESTING: usize = 1200;

/// Where an operand appears, which decides the functions it may call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ctx {
    /// An operand of a comparison, BETWEEN, IN or a condition function.
    ConditionOperand,
    /// The whole right-hand side of a SET action.
    UpdateTop,
    /// Inside arithmetic or a function argument in a SET action.
    UpdateNested,
}

pub(crate) struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    kind: ExpressionKind,
    depth: usize,
    operator_depth: usize,
    redundant_parens: bool,
    /// The first phase-3 error by text position.
    deferred: Option<(usize, String)>,
    /// Token indexes of the last closed parenthesized group.
    last_group: Option<(usize, usize)>,
}

impl<'t> Parser<'t> {
    pub(crate) fn new(text: &'t str, kind: ExpressionKind) -> Self {
        Parser {
            text,
            tokens: tokenize(text),
            pos: 0,
            kind,
            depth: 0,
            operator_depth: 0,
            redundant_parens: false,
            deferred: None,
            last_group: None,
        }
    }

    pub(crate) fn peek(&self) -> Tok {
        self.peek_at(0)
    }

    pub(crate) fn peek_at(&self, ahead: usize) -> Tok {
        self.tokens
            .get(self.pos + ahead)
            .map_or(Tok::Eof, |t| t.kind)
    }

    pub(crate) fn token(&self) -> Token {
        let end = self.text.len();
        self.tokens.get(self.pos).copied().unwrap_or(Token {
            kind: Tok::Eof,
            start: end,
            end,
        })
    }

    pub(crate) fn token_text(&self) -> &'t str {
        self.token().text(self.text)
    }

    pub(crate) fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    pub(crate) fn eat(&mut self, kind: Tok) -> bool {
        if self.peek() == kind {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, kind: Tok) -> Result<(), DynamoError> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// DynamoDB's syntax error: the offending token, and the text from the
    /// start of the token before it to the end of the token after it.
    pub(crate) fn syntax_error(&self) -> DynamoError {
        let at = self.pos.min(self.tokens.len().saturating_sub(1));
        let token = self.token();
        let start = at
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.start);
        let end = self.tokens.get(at + 1).map_or(token.end, |t| t.end);
        let near = self.text.get(start..end).unwrap_or("");
        invalid(
            self.kind,
            format_args!(
                "Syntax error; token: \"{}\", near: \"{near}\"",
                token.text(self.text)
            ),
        )
    }

    /// Records a phase-3 error; the earliest in the text wins.
    pub(crate) fn defer(&mut self, at: usize, message: String) {
        if self.deferred.as_ref().is_none_or(|(pos, _)| at < *pos) {
            self.deferred = Some((at, message));
        }
    }

    /// Called once the whole text parsed.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, DynamoError> {
        if self.peek() != Tok::Eof {
            return Err(self.syntax_error());
        }
        if self.redundant_parens {
            return Err(invalid(
                self.kind,
                "The expression has redundant parentheses;",
            ));
        }
        match self.deferred {
            Some((_, message)) => Err(invalid(self.kind, message)),
            None => Ok(value),
        }
    }

    pub(crate) fn enter(&mut self) -> Result<(), DynamoError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(invalid(
                self.kind,
                "The expression has redundant parentheses;",
            ));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Entering a NOT or a function call: besides the nesting limit, more
    /// than 300 of these nested means more than 300 operators, an error
    /// DynamoDB reports (after others); rejecting it here keeps the trees
    /// later walks recurse through shallow.
    pub(crate) fn enter_operator(&mut self) -> Result<(), DynamoError> {
        self.enter()?;
        self.operator_depth += 1;
        if self.operator_depth > crate::validate::MAX_OPERATORS {
            return Err(invalid(
                self.kind,
                format_args!(
                    "The expression contains too many operators; operator count: {}",
                    crate::validate::MAX_OPERATORS + 1
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn leave_operator(&mut self) {
        self.leave();
        self.operator_depth = self.operator_depth.saturating_sub(1);
    }

    pub(crate) fn open_group(&mut self) -> Result<usize, DynamoError> {
        let open = self.pos;
        self.expect(Tok::LParen)?;
        self.enter()?;
        Ok(open)
    }

    /// Consumes the `)` of a group opened at token `open`, noting `((x))`.
    pub(crate) fn close_group(&mut self, open: usize) -> Result<(), DynamoError> {
        let close = self.pos;
        self.expect(Tok::RParen)?;
        self.leave();
        if open + 1 < close && self.last_group == Some((open + 1, close - 1)) {
            self.redundant_parens = true;
        }
        self.last_group = Some((open, close));
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Document paths.

    pub(crate) fn parse_path(&mut self) -> Result<Path, DynamoError> {
        let mut elements = vec![self.parse_name()?];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.advance();
                    elements.push(self.parse_name()?);
                }
                Tok::LBracket => {
                    self.advance();
                    if self.peek() != Tok::Index {
                        return Err(self.syntax_error());
                    }
                    let token = self.token();
                    let digits = self.token_text();
                    let index = match digits.parse::<u32>() {
                        Ok(n) if n <= i32::MAX as u32 => n,
                        _ => {
                            let message = format!(
                                "List index is not within the allowable range; index: [{digits}]"
                            );
                            self.defer(token.start, message);
                            0
                        }
                    };
                    self.advance();
                    self.expect(Tok::RBracket)?;
                    elements.push(PathElement::Index(index));
                }
                _ => return Ok(Path { elements }),
            }
        }
    }

    fn parse_name(&mut self) -> Result<PathElement, DynamoError> {
        let token = self.token();
        let text = self.token_text();
        let name = match token.kind {
            Tok::Id => {
                if is_reserved(text) {
                    self.defer(
                        token.start,
                        format!("Attribute name is a reserved keyword; reserved keyword: {text}"),
                    );
                }
                NameRef::Literal(text.to_string())
            }
            Tok::NameSub => NameRef::Placeholder(text.to_string()),
            _ => return Err(self.syntax_error()),
        };
        self.advance();
        Ok(PathElement::Name(name))
    }

    // -----------------------------------------------------------------------
    // Operands.

    /// Parses an operand. `ctx` is where it is used; `None` means the caller
    /// does not know yet (a condition may turn out to be a bare function
    /// call) and will call [`Parser::check_use`] itself. Returns the text
    /// position of the outermost function name, if the operand is a call.
    pub(crate) fn parse_operand(
        &mut self,
        ctx: Option<Ctx>,
    ) -> Result<(Operand, Option<usize>), DynamoError> {
        match self.peek() {
            Tok::ValueSub => {
                let value = self.token_text().to_string();
                self.advance();
                Ok((Operand::Value(value), None))
            }
            Tok::Id if self.peek_at(1) == Tok::LParen => {
                let at = self.token().start;
                let call = self.parse_call(ctx)?;
                if let (Some(ctx), Some(call)) = (ctx, &call) {
                    self.check_use(call.function, at, Some(ctx));
                }
                let operand = call.map_or_else(|| Operand::Value(String::new()), Operand::Call);
                Ok((operand, Some(at)))
            }
            Tok::Id | Tok::NameSub => Ok((Operand::Path(self.parse_path()?), None)),
            Tok::LParen => {
                let open = self.open_group()?;
                let inner = self.parse_operand(ctx)?;
                self.close_group(open)?;
                Ok(inner)
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// `name(arg, ...)`. Returns `None` for an unknown function name, which
    /// is recorded as a deferred error (the text still has to parse).
    fn parse_call(&mut self, ctx: Option<Ctx>) -> Result<Option<Call>, DynamoError> {
        let token = self.token();
        let name = self.token_text();
        let function = Function::from_name(name);
        if function.is_none() {
            self.defer(
                token.start,
                format!("Invalid function name; function: {name}"),
            );
        }
        self.advance();
        self.expect(Tok::LParen)?;
        self.enter_operator()?;
        let arg_ctx = match (self.kind, ctx) {
            (ExpressionKind::Update, _) | (_, Some(Ctx::UpdateTop | Ctx::UpdateNested)) => {
                Ctx::UpdateNested
            }
            _ => Ctx::ConditionOperand,
        };
        let mut args = vec![self.parse_operand(Some(arg_ctx))?.0];
        while self.eat(Tok::Comma) {
            args.push(self.parse_operand(Some(arg_ctx))?.0);
        }
        self.expect(Tok::RParen)?;
        self.leave_operator();
        Ok(function.map(|function| Call { function, args }))
    }

    /// Whether `function` may be used where it is. `ctx == None` means as
    /// a condition by itself.
    pub(crate) fn check_use(&mut self, function: Function, at: usize, ctx: Option<Ctx>) {
        let name = function.name();
        let problem = if self.kind.is_condition() {
            if function.is_update_only() {
                Some("The function is not allowed in a condition expression")
            } else if function.is_boolean() != ctx.is_none() {
                Some("The function is not allowed to be used this way in an expression")
            } else {
                None
            }
        } else if !function.is_update_only() {
            Some("The function is not allowed in an update expression")
        } else if function == Function::ListAppend && ctx != Some(Ctx::UpdateTop) {
            Some("The function is not allowed to be used this way in an expression")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.defer(at, format!("{problem}; function: {name}"));
        }
    }
}

/// Nesting up to this bound parses on the caller's stack.
const SHALLOW: usize = 32;
/// Stack for parsing deeper texts: enough for [`MAX_NESTING`] levels even
/// in unoptimized builds, whose frames are several times larger.
const DEEP_STACK_BYTES: usize = 32 << 20;

/// Runs `parse` on the caller's stack when `text` cannot nest deeply, else
/// on a short-lived thread with a large stack. Recursion depth follows the
/// text's nesting, and callers may run on small stacks (async runtimes
/// give 2 MiB), so a 4 KB text of parentheses must not overflow them.
pub(crate) fn with_stack_for<T: Send>(text: &str, parse: impl Fn() -> T + Sync) -> T {
    // Each level of nesting needs a `(` or a NOT; counting both bounds it.
    let bound = text.bytes().filter(|&b| b == b'(').count()
        + text
            .as_bytes()
            .windows(3)
            .filter(|w| w.eq_ignore_ascii_case(b"not"))
            .count();
    if bound <= SHALLOW {
        return parse();
    }
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, &parse);
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread could be started: parse here after all.
            Err(_) => parse(),
        }
    })
}

/// ProjectionExpression: comma-separated paths.
pub(crate) fn parse_projection_text(text: &str) -> Result<Vec<Path>, DynamoError> {
    let mut parser = Parser::new(text, ExpressionKind::Projection);
    let mut paths = vec![parser.parse_path()?];
    while parser.eat(Tok::Comma) {
        paths.push(parser.parse_path()?);
    }
    parser.finish(paths)
}
