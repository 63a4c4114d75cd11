//! The goose scenarios: one goose user plays one office with its own client certificate.
//!
//! A care manager sends one ticket unit to each of its providers, then waits (collecting the actuals that come
//! back) until all of them are acknowledged before sending the next round: at most one round in flight per
//! office, so the system is closed and latency means something at any load. A provider polls its inbox,
//! downloads every file, checks it against the sender's SHA-256, acknowledges, and returns the actuals. Inbox
//! requests wait at the relay (long poll) while there is nothing to do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use goose::prelude::*;
use suites::relay::send_form;
use transport::https_client_builder;
use transport::PkiPaths;

use crate::payloads::{Payload, Payloads};
use crate::population::Population;
use crate::profile::Profile;
use crate::tracker::{Direction, Tracker, Verdict};
use crate::LoadError;

/// Everything the users share: who is who, what they send, and the bookkeeping of exchanges.
pub struct World {
    pub population: Population,
    pub payloads: Payloads,
    pub tracker: Tracker,
    pub profile: Profile,
    ca_pem: Vec<u8>,
    identities: HashMap<String, Vec<u8>>,
    next_care_manager: AtomicUsize,
    next_provider: AtomicUsize,
    /// the relay nodes' base URLs (one relay: one entry); each office works with one of them
    nodes: Vec<String>,
}

impl World {
    /// Loads the CA and every office's certificate and key from the sandbox PKI at `pki`.
    pub fn new(
        population: Population,
        payloads: Payloads,
        profile: Profile,
        pki: &PkiPaths,
        nodes: Vec<String>,
    ) -> Result<World, LoadError> {
        let mut identities = HashMap::new();
        for office in population.offices() {
            identities.insert(office.number.clone(), pki.identity_pem(&office.number)?);
        }
        Ok(World {
            population,
            payloads,
            tracker: Tracker::new(),
            profile,
            ca_pem: std::fs::read(pki.ca_cert())?,
            identities,
            next_care_manager: AtomicUsize::new(0),
            next_provider: AtomicUsize::new(0),
            nodes,
        })
    }

    /// The relay node `office` works with: offices are spread evenly, so a send and its recipient's download
    /// usually go through different nodes.
    pub fn node_of(&self, office: &str) -> &str {
        let number: usize =
            office.bytes().fold(0, |n, b| n.wrapping_mul(10).wrapping_add(usize::from(b.wrapping_sub(b'0'))));
        self.nodes.get(number % self.nodes.len().max(1)).map_or("", String::as_str)
    }

    /// `path` on the node of the office `user` plays.
    fn url(&self, user: &mut GooseUser, path: &str) -> Result<String, Box<TransactionError>> {
        Ok(format!("{}{path}", self.node_of(&session(user)?.number)))
    }

    /// A plain client for `office` (for the drain after the run).
    pub fn client(&self, office: &str) -> reqwest::Result<reqwest::Client> {
        self.client_builder(office)?.build()
    }

    fn client_builder(&self, office: &str) -> reqwest::Result<reqwest::ClientBuilder> {
        let identity = self.identities.get(office).map(Vec::as_slice).unwrap_or_default();
        https_client_builder(&self.ca_pem, identity)
    }
}

/// Seconds an inbox request may wait for a message (the relay's long poll): idle offices wait at the relay
/// instead of polling it.
const INBOX_WAIT_S: u64 = 1;

/// Pause after a round that found messages but could acknowledge none (their senders had not yet seen the
/// `201`), so such a round does not spin.
const IDLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// Which office a user plays and where it is in its round.
struct Session {
    office: usize,
    number: String,
    /// rounds sent (care manager) or actuals returned (provider)
    turn: usize,
    /// ids of the care manager's current round that are not acknowledged yet
    awaiting: Vec<String>,
    /// when the care manager may send its next round (the profile's pause)
    next_round: Instant,
    rng: conformance::synth::Rng,
}

type Step = for<'r> fn(
    &'r World,
    &'r mut GooseUser,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = TransactionResult> + Send + 'r>>;

fn transaction(world: &Arc<World>, name: &str, step: Step) -> Transaction {
    let world = world.clone();
    Transaction::new(Arc::new(move |user| {
        let world = world.clone();
        Box::pin(async move { step(&world, user).await })
    }))
    .set_name(name)
}

/// The goose attack: care managers and providers (one care manager per two providers, goose's `--users`
/// split by weight).
pub fn attack(world: &Arc<World>, configuration: goose::config::GooseConfiguration) -> Result<GooseAttack, GooseError> {
    let care_manager = scenario!("CareManager")
        .set_weight(1)?
        .register_transaction(transaction(world, "connect", |w, u| Box::pin(start_care_manager(w, u))).set_on_start())
        .register_transaction(transaction(world, "round", |w, u| Box::pin(care_manager_round(w, u))));
    let provider = scenario!("Provider")
        .set_weight(2)?
        .register_transaction(transaction(world, "connect", |w, u| Box::pin(start_provider(w, u))).set_on_start())
        .register_transaction(transaction(world, "round", |w, u| Box::pin(provider_round(w, u))));
    Ok(GooseAttack::initialize_with_config(configuration)?.register_scenario(care_manager).register_scenario(provider))
}

async fn connect(world: &World, user: &mut GooseUser, office: usize, number: String) -> TransactionResult {
    let builder = world.client_builder(&number).map_err(|e| Box::new(TransactionError::Reqwest(e)))?;
    user.set_client_builder(builder).await?;
    let rng = conformance::synth::Rng::new(office as u64 + 1);
    user.set_session_data(Session { office, number, turn: 0, awaiting: Vec::new(), next_round: Instant::now(), rng });
    world.tracker.user_started();
    Ok(())
}

async fn start_care_manager(world: &World, user: &mut GooseUser) -> TransactionResult {
    let office = world.next_care_manager.fetch_add(1, Ordering::Relaxed) % world.population.care_managers.len();
    connect(world, user, office, world.population.care_managers[office].number.clone()).await
}

async fn start_provider(world: &World, user: &mut GooseUser) -> TransactionResult {
    let office = world.next_provider.fetch_add(1, Ordering::Relaxed) % world.population.providers.len();
    connect(world, user, office, world.population.providers[office].number.clone()).await
}

fn session(user: &mut GooseUser) -> Result<&mut Session, Box<TransactionError>> {
    // `connect` runs first for every user (on start); without it there is no office to play.
    user.get_session_data_mut::<Session>()
        .ok_or_else(|| Box::new(TransactionError::InvalidMethod { method: reqwest::Method::CONNECT }))
}

/// Sends the next round when the previous one is acknowledged and the profile's pause is over; collects
/// actuals either way.
async fn care_manager_round(world: &World, user: &mut GooseUser) -> TransactionResult {
    let (office, number, turn, due) = {
        let session = session(user)?;
        session.awaiting.retain(|id| world.tracker.in_flight(id));
        let due = session.awaiting.is_empty() && Instant::now() >= session.next_round;
        (session.office, session.number.clone(), session.turn, due)
    };
    let mut did_something = false;
    if due {
        let mut sent = Vec::new();
        for provider in world.population.providers_of(office) {
            let provider = &world.population.providers[provider].number;
            let units = world.payloads.between(&number, provider);
            let Some(unit) = units.get(turn % units.len().max(1)) else { continue };
            if let Some(id) = send(world, user, provider, Direction::Ticket, &unit.ticket, "送信 send ticket").await?
            {
                sent.push(id);
            }
        }
        let session = session(user)?;
        session.turn += 1;
        session.awaiting = sent;
        if let Some((least, most)) = world.profile.send_pause() {
            let pause = session.rng.range(least.as_millis() as u64, most.as_millis() as u64);
            session.next_round = Instant::now() + std::time::Duration::from_millis(pause);
        }
        did_something = true;
    }
    did_something |= !work_inbox(world, user).await?.is_empty();
    if !did_something {
        tokio::time::sleep(IDLE_PAUSE).await;
    }
    Ok(())
}

/// Handles the inbox and returns actuals for every ticket acknowledged.
async fn provider_round(world: &World, user: &mut GooseUser) -> TransactionResult {
    let acknowledged = work_inbox(world, user).await?;
    for care_manager in &acknowledged {
        let (number, turn) = {
            let session = session(user)?;
            session.turn += 1;
            (session.number.clone(), session.turn)
        };
        let units = world.payloads.between(care_manager, &number);
        if let Some(unit) = units.get(turn % units.len().max(1)) {
            send(world, user, care_manager, Direction::Actuals, &unit.actuals, "送信 send actuals").await?;
        }
    }
    if acknowledged.is_empty() {
        tokio::time::sleep(IDLE_PAUSE).await;
    }
    Ok(())
}

/// Marks a request goose counted as a success failed for a reason of ours (bytes differ, no id in the answer…).
/// A request goose already counted as failed (an error status, no connection) is left alone: marking it again
/// would take a success it never had off goose's counts.
fn fail(
    user: &mut GooseUser,
    request: &mut goose::metrics::GooseRequestMetric,
    why: &str,
) -> Result<(), Box<TransactionError>> {
    if request.success {
        user.set_failure(why, request, None, None)?;
    }
    Ok(())
}

/// `POST /v1/messages`; returns the new message's id, recorded in the tracker, when the relay answered `201`.
async fn send(
    world: &World,
    user: &mut GooseUser,
    to: &str,
    direction: Direction,
    payload: &Payload,
    name: &str,
) -> Result<Option<String>, Box<TransactionError>> {
    let url = world.url(user, "/v1/messages")?;
    let builder = user.get_request_builder(&GooseMethod::Post, &url)?.multipart(send_form(to, &payload.files));
    let request = GooseRequest::builder().set_request_builder(builder).name(name).expect_status_code(201).build();
    let begun = Instant::now();
    let mut goose = user.request(request).await?;
    let id = match (goose.request.success, goose.response) {
        (true, Ok(response)) => response.json::<protocol::Message>().await.ok().map(|message| message.id),
        _ => None,
    };
    match &id {
        Some(id) => world.tracker.sent(id, to, direction, begun, payload),
        None => {
            world.tracker.failed();
            fail(user, &mut goose.request, "send: no message id")?;
        }
    }
    Ok(id)
}

/// One look at the inbox: every waiting message of this run whose sender has recorded its `201` is downloaded —
/// every file the sender sent, by name, checked against the sender's SHA-256 — and acknowledged when all arrived and
/// the relay listed exactly those files. Returns the senders of the messages acknowledged.
async fn work_inbox(world: &World, user: &mut GooseUser) -> Result<Vec<String>, Box<TransactionError>> {
    // Oldest first, as import software must take units (S1 §2.5).
    let path = world.url(user, &format!("/v1/inbox?status=sent&order=asc&limit=20&wait={INBOX_WAIT_S}"))?;
    let mut goose = user.get_named(&path, "受信一覧 inbox").await?;
    let page = match (goose.request.success, goose.response) {
        (true, Ok(response)) => response.json::<protocol::Page>().await.ok(),
        _ => None,
    };
    let Some(page) = page else {
        world.tracker.failed();
        fail(user, &mut goose.request, "inbox: no page")?;
        return Ok(Vec::new());
    };
    let mut acknowledged = Vec::new();
    // goose's counts take one failure per request: the page is marked once however many entries are wrong.
    let mut listing_wrong = false;
    for message in &page.messages {
        let (id, from) = (message.id.as_str(), message.from.as_str());
        // What the sender sent, not what the relay lists, is what must arrive. Until the sender has recorded its
        // `201` nothing is downloaded, so the message stays `sent` and comes back at the next look.
        let Some(sent) = world.tracker.files_of(id) else { continue };
        let listed: Vec<&str> = message.files.iter().map(|f| f.name.as_str()).collect();
        let mut complete = true;
        if listed.len() != sent.len() || listed.iter().any(|name| !sent.iter().any(|s| s == name)) {
            // The relay lists a file nobody sent, or leaves one out.
            world.tracker.failed();
            listing_wrong = true;
            complete = false;
        }
        for name in &sent {
            let path = world.url(user, &format!("/v1/messages/{id}/files/{name}"))?;
            let mut goose = user.get_named(&path, "ダウンロード download").await?;
            let bytes = match (goose.request.success, goose.response) {
                (true, Ok(response)) => response.bytes().await.ok(),
                _ => None,
            };
            match bytes.map(|bytes| world.tracker.verify(id, name, &bytes)) {
                Some(Verdict::Intact) => {}
                // Counted as altered by the tracker; acknowledged all the same, so it is not counted again later.
                Some(Verdict::Altered) => fail(user, &mut goose.request, "download: bytes differ from the sender's")?,
                Some(Verdict::UnknownFile | Verdict::NotYetKnown) | None => {
                    complete = false;
                    world.tracker.failed();
                    fail(user, &mut goose.request, "download failed")?
                }
            }
        }
        if !complete {
            continue; // not acknowledged: the after-run check fetches it by id and judges it
        }
        let ack_path = world.url(user, &format!("/v1/messages/{id}/ack"))?;
        let request = GooseRequest::builder()
            .method(GooseMethod::Post)
            .path(ack_path.as_str())
            .name("受領 ack")
            .expect_status_code(200)
            .build();
        let mut goose = user.request(request).await?;
        if goose.request.success {
            if world.tracker.acknowledged(id).is_some() {
                acknowledged.push(from.to_string());
            }
        } else {
            world.tracker.failed();
            fail(user, &mut goose.request, "ack refused")?;
        }
    }
    if listing_wrong {
        fail(user, &mut goose.request, "inbox: the files listed are not the files sent")?;
    }
    Ok(acknowledged)
}
