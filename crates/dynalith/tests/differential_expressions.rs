//! Differential test of the expression language: the same generated
//! PutItem, UpdateItem, DeleteItem and GetItem requests (conditions,
//! updates, projections; valid and invalid) go to dynalith and to another
//! DynamoDB-compatible server, and the answers must agree.
//!
//! ```sh
//! scripts/dynamodb-local.sh start 8780
//! DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8780 \
//!   cargo test --workspace --test differential_expressions -- --nocapture
//! ```
//!
//! Settings: `DYNALITH_DIFF_SEED` (default: random, printed),
//! `DYNALITH_DIFF_COUNT` (requests, default 600), `DYNALITH_DIFF_STRICT_MESSAGES=1`
//! (fail on ValidationException messages that differ too). Without
//! `DYNALITH_DIFF_ENDPOINT` the test prints a note and passes.
//!
//! Compared, per request: the outcome class (success, or the error code:
//! ConditionalCheckFailedException, ValidationException, ...), the error
//! message, the attributes returned (ReturnValues, the item of a failed
//! condition with ReturnValuesOnConditionCheckFailure, GetItem's item), and
//! after every write the stored item (GetItem with ConsistentRead). Set
//! order is ignored and numbers compare by value. Messages are a goal, not
//! a failure (unless strict); everything else fails the test unless
//! `explain` documents why the reference is not what DynamoDB does.

mod common;
mod differential;

use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue, ScalarAttributeType};
use common::{create_table, unique_table, Server};
use differential::explain::{explain, Kind};
use differential::normalize::{canonical_option, raw_item, Outcome};
use differential::values::{Bindings, Generator, Item};
use differential::{client, fetch, send, Operation, Request};
use rand::SeedableRng;
use std::collections::{BTreeMap, HashMap};

/// Distinct keys the requests spread over (few, so items are reused).
const KEYS: usize = 6;

struct Difference {
    step: usize,
    kind: Kind,
    request: String,
    ours: String,
    theirs: String,
    explanation: Option<&'static str>,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn return_values(g: &mut Generator, operation: Operation) -> Option<ReturnValue> {
    let all = [
        ReturnValue::None,
        ReturnValue::AllOld,
        ReturnValue::UpdatedOld,
        ReturnValue::AllNew,
        ReturnValue::UpdatedNew,
    ];
    match operation {
        Operation::Update => (!g.chance(0.2)).then(|| g.pick(&all).clone()),
        // PutItem and DeleteItem accept only NONE and ALL_OLD.
        _ if g.chance(0.05) => Some(g.pick(&all[2..]).clone()),
        _ => g.chance(0.6).then_some(ReturnValue::AllOld),
    }
}

fn generate(g: &mut Generator, mirror: &HashMap<String, Item>) -> Request {
    let key = g.key(KEYS);
    let current = match &key["pk"] {
        Av::S(pk) => mirror.get(pk),
        _ => None,
    };
    let mut bindings = Bindings::default();
    let operation = match g.below(100) {
        0..=24 => Operation::Put,
        25..=69 => Operation::Update,
        70..=79 => Operation::Delete,
        _ => Operation::Get,
    };
    let mut request = Request {
        operation,
        key: key.clone(),
        item: None,
        update: None,
        condition: None,
        projection: None,
        names: None,
        values: None,
        return_values: None,
        return_on_failure: false,
    };
    match operation {
        Operation::Put => {
            request.item = Some(g.item(&key, true));
            if g.chance(0.7) {
                request.condition = Some(g.condition(current, &mut bindings));
            }
        }
        Operation::Update => {
            if g.chance(0.97) {
                request.update = Some(g.update(current, &mut bindings));
            }
            if g.chance(0.45) {
                request.condition = Some(g.condition(current, &mut bindings));
            }
        }
        Operation::Delete => {
            if g.chance(0.7) {
                request.condition = Some(g.condition(current, &mut bindings));
            }
        }
        Operation::Get => {
            if g.chance(0.9) {
                request.projection = Some(g.projection(current, &mut bindings));
            }
            bindings.values.clear();
        }
    }
    if operation != Operation::Get {
        request.return_values = return_values(g, operation);
        request.return_on_failure = request.condition.is_some() && g.chance(0.3);
        if g.chance(0.03) {
            bindings.values.insert(":unused".into(), Av::N("1".into()));
        }
    }
    if g.chance(0.02) {
        bindings.names.insert("#unused".into(), "a".into());
    }
    // Empty maps are invalid; send one now and then.
    let empty_ok = g.chance(0.01);
    request.names = (!bindings.names.is_empty() || empty_ok).then_some(bindings.names);
    request.values = (!bindings.values.is_empty() || (empty_ok && operation != Operation::Get))
        .then_some(bindings.values);
    request
}

struct Run {
    differences: Vec<Difference>,
    step: usize,
    /// The item before the request, as the reference stored it.
    before: Option<serde_json::Value>,
}

impl Run {
    fn record(
        &mut self,
        kind: Kind,
        request: &Request,
        ours: &Outcome,
        theirs: &Outcome,
        shown: (String, String),
    ) {
        self.differences.push(Difference {
            step: self.step,
            kind,
            request: match &self.before {
                Some(before) => format!("{} before: {before}", request.describe()),
                None => request.describe(),
            },
            ours: shown.0,
            theirs: shown.1,
            explanation: explain(kind, request, ours, theirs),
        });
    }

    fn compare(&mut self, request: &Request, ours: &Outcome, theirs: &Outcome) {
        let show = |o: &Outcome| format!("{} {:?}", o.class, o.message);
        if ours.class != theirs.class {
            self.record(
                Kind::Class,
                request,
                ours,
                theirs,
                (show(ours), show(theirs)),
            );
            return;
        }
        if ours.message != theirs.message {
            self.record(
                Kind::Message,
                request,
                ours,
                theirs,
                (ours.message.clone(), theirs.message.clone()),
            );
        }
        if ours.attributes != theirs.attributes {
            let shown = |o: &Outcome| {
                o.attributes
                    .as_ref()
                    .map_or("none".into(), |a| a.to_string())
            };
            self.record(
                Kind::Attributes,
                request,
                ours,
                theirs,
                (shown(ours), shown(theirs)),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_expressions() {
    let Ok(reference_endpoint) = std::env::var("DYNALITH_DIFF_ENDPOINT") else {
        println!("skipped: set DYNALITH_DIFF_ENDPOINT (e.g. a DynamoDB Local) to run the differential test");
        return;
    };
    // Our own server, whatever the other tests are pointed at.
    std::env::remove_var("DYNALITH_TEST_ENDPOINT");
    let server = Server::start();
    let seed = env_number("DYNALITH_DIFF_SEED").unwrap_or_else(rand::random);
    let count = env_number("DYNALITH_DIFF_COUNT").unwrap_or(600) as usize;
    let strict_messages = std::env::var("DYNALITH_DIFF_STRICT_MESSAGES").is_ok_and(|v| v == "1");
    println!("differential: seed {seed} (DYNALITH_DIFF_SEED), {count} requests, reference {reference_endpoint}");

    let ours = client(&server.endpoint);
    let theirs = client(&reference_endpoint);
    let table = unique_table("diff");
    create_table(&ours, &table, Some(ScalarAttributeType::N)).await;
    create_table(&theirs, &table, Some(ScalarAttributeType::N)).await;

    let mut g = Generator {
        rng: rand::rngs::StdRng::seed_from_u64(seed),
    };
    let mut mirror: HashMap<String, Item> = HashMap::new();
    let mut run = Run {
        differences: Vec::new(),
        step: 0,
        before: None,
    };
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for step in 0..count {
        run.step = step;
        let request = generate(&mut g, &mirror);
        run.before = match &request.key["pk"] {
            Av::S(pk) => mirror.get(pk).map(raw_item),
            _ => None,
        };
        let our_outcome = send(&ours, &table, &request).await;
        let their_outcome = send(&theirs, &table, &request).await;
        let detail: String = if their_outcome.class == "ValidationException" {
            their_outcome.message.chars().take(70).collect()
        } else {
            String::new()
        };
        *classes
            .entry(format!(
                "{:?} {} {detail}",
                request.operation, their_outcome.class
            ))
            .or_default() += 1;
        run.compare(&request, &our_outcome, &their_outcome);
        if request.operation == Operation::Get {
            continue;
        }
        let key = &request.key;
        let our_item = fetch(&ours, &table, key)
            .await
            .expect("GetItem on dynalith");
        let their_item = fetch(&theirs, &table, key)
            .await
            .expect("GetItem on the reference");
        let (a, b) = (
            canonical_option(our_item.as_ref()),
            canonical_option(their_item.as_ref()),
        );
        if a != b {
            let shown = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or("absent".into(), |v| v.to_string())
            };
            run.record(
                Kind::Item,
                &request,
                &our_outcome,
                &their_outcome,
                (shown(&a), shown(&b)),
            );
            // Resynchronize so one difference does not cascade.
            match &their_item {
                Some(item) => {
                    ours.put_item()
                        .table_name(&table)
                        .set_item(Some(item.clone()))
                        .send()
                        .await
                        .expect("resync put");
                }
                None => {
                    ours.delete_item()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .send()
                        .await
                        .expect("resync delete");
                }
            }
        }
        if let Some(Av::S(pk)) = key.get("pk") {
            match their_item {
                Some(item) => mirror.insert(pk.clone(), item),
                None => mirror.remove(pk),
            };
        }
    }

    report(seed, count, &classes, &run.differences, strict_messages);
}

fn report(
    seed: u64,
    count: usize,
    classes: &BTreeMap<String, usize>,
    differences: &[Difference],
    strict_messages: bool,
) {
    println!("\n=== outcomes on the reference ===");
    for (class, n) in classes {
        println!("{n:6}  {class}");
    }
    let mut counts: BTreeMap<Kind, (usize, usize)> = BTreeMap::new();
    for d in differences {
        let entry = counts.entry(d.kind).or_default();
        if d.explanation.is_some() {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    println!("\n=== differences (seed {seed}, {count} requests) ===");
    for (kind, (unexplained, explained)) in &counts {
        println!("{kind:?}: {unexplained} unexplained, {explained} explained");
    }
    let mut explained: BTreeMap<&str, usize> = BTreeMap::new();
    for d in differences {
        if let Some(why) = d.explanation {
            *explained.entry(why).or_default() += 1;
        }
    }
    for (why, n) in &explained {
        println!("  explained {n}x: {why}");
    }
    // Messages grouped, the rest one by one.
    let mut messages: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for d in differences
        .iter()
        .filter(|d| d.kind == Kind::Message && d.explanation.is_none())
    {
        messages
            .entry((d.ours.as_str(), d.theirs.as_str()))
            .or_default()
            .push(d.request.as_str());
    }
    for ((ours, theirs), examples) in &messages {
        println!(
            "\nMESSAGE {}x\n  ours:   {ours}\n  theirs: {theirs}",
            examples.len()
        );
        for example in examples.iter().take(3) {
            println!("  e.g.    {example}");
        }
    }
    // DYNALITH_DIFF_SHOW_EXPLAINED=1 lists the explained ones too, to
    // audit the explanations.
    let show_explained = std::env::var("DYNALITH_DIFF_SHOW_EXPLAINED").is_ok_and(|v| v == "1");
    for d in differences
        .iter()
        .filter(|d| show_explained || (d.kind != Kind::Message && d.explanation.is_none()))
    {
        println!(
            "\n{:?} at step {} ({})\n  request: {}\n  ours:    {}\n  theirs:  {}",
            d.kind,
            d.step,
            d.explanation.unwrap_or("unexplained"),
            d.request,
            d.ours,
            d.theirs
        );
    }
    let failing = differences
        .iter()
        .filter(|d| d.explanation.is_none() && (d.kind != Kind::Message || strict_messages))
        .count();
    assert_eq!(
        failing, 0,
        "{failing} unexplained differences (seed {seed}); see the output above"
    );
}
